from runner.launch import run

run()
