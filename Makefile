# Two commands matter: `make run` (set up, build and serve the site) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test install system-deps engine engines site serve bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -q --upgrade pip
	$(BIN)/pip install -q -q -e '.[site,test]'
	@# An editable install compiles none of the runner's modules, as pip does for a regular one:
	@# where PYTHONDONTWRITEBYTECODE is set, every command would compile ~50 of them (~40 ms).
	$(BIN)/python -m compileall -q -q runner
	touch $@

install: $(STAMP)

# Debian packages the tests need: git, the static busybox for fixture images, Chromium and
# a CJK font for the browser tests, docker-compose (v1) for the Compose cases of the labs,
# openssh-server for the remote-engine tests (ssh://root@127.0.0.1, tests/sshkit.py).
# Installed only when missing (needs root, as on CI).
system-deps:
	@missing=""; \
	command -v git >/dev/null || missing="$$missing git"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing="$$missing fonts-noto-cjk"; \
	dpkg -s busybox-static >/dev/null 2>&1 || missing="$$missing busybox-static"; \
	command -v docker-compose >/dev/null || missing="$$missing docker-compose"; \
	[ -x /usr/sbin/sshd ] || missing="$$missing openssh-server"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# The engines the tests and labs run on (tests/engines.py): Debian 12's Docker 20.10, and Debian
# 13's Docker 26.1 with buildx and Compose v2, with and without the containerd image store.
# Each is started only when it does not answer; nothing that answers is touched.
ENGINES ?= 20.10 26.1 26.1-containerd

engine:
	@.ci/ensure-engine

engines: engine
	@python3 tests/engines.py ensure $(ENGINES)

site: install
	$(BIN)/runner validate playbooks
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

serve: site
	@echo ""
	@echo "  Knowledge base: http://$(HOST):$(PORT)/ (한국어), http://$(HOST):$(PORT)/en/ (English)"
	@echo "  Try the runner: $(BIN)/runner diagnose buildkit-stale --param image=app:staging --param context=. --param container=app"
	@echo "                  $(BIN)/runner list ; $(BIN)/runner show buildkit-stale --lang en"
	@echo ""
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr $(HOST):$(PORT)

run: serve

# Every test once, with the real-engine ones on 20.10; the real-engine tests again on 26.1, and
# those of buildkit-stale and the image store on the containerd store; every lab on every
# engine. The engines' lanes run side by side (.ci/lanes says what runs where).
test: install system-deps engines
	@echo "== set up by $$(date -u +%H:%M:%S)"
	$(BIN)/runner validate playbooks
	$(BIN)/runner schema --check
	BIN=$(BIN) .ci/lanes $(ENGINES)
	@echo "== done at $$(date -u +%H:%M:%S)"

bench: install engines
	$(BIN)/python bench/diagnose.py
	$(BIN)/python bench/fix.py
	$(BIN)/python bench/site.py
	$(BIN)/python bench/triage.py

clean:
	rm -rf site build test-output .pytest_cache
