"""`runner import` as a library: a Markdown write-up becomes a playbook that validates.

The seed write-up is imported and compared with the hand-written buildkit-stale playbook;
an English write-up, blocks that cannot be placed and placeholders show the rest; a
hypothesis property feeds random Markdown and checks that the importer returns a valid
playbook or a clean error, and never drops a word. The command line is tested in
tests/commands/test_authoring.py.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.authoring.importer import ImportFailed, import_markdown
from runner.playbook.loader import load_all, load_file
from runner.playbook.model import localize

ROOT = Path(__file__).resolve().parents[2]
HAND_WRITTEN = ROOT / "playbooks" / "buildkit-stale.yaml"
SEED_NAME = "000_3f5ffc3d9df95721.txt"  # the write-up's name in the team's collection of seeds
SEED_PATH = Path(__file__).resolve().parent / "fixtures" / "incident-buildkit.md"  # its bytes, as they came

# The seed write-up, word for word, to read beside the assertions on it; the fixture file keeps
# its bytes as they came (the command-line tests read that file), and a test below checks both agree.
SEED = """# 에러 케이스: Docker BuildKit 캐시 문제

## 발생 날짜
2026-01-16

## 프로젝트
WBSalesHub (Cookie SSO 구현)

## 에러 증상
- TypeScript 소스 코드는 수정되었으나, 컨테이너 안의 컴파일된 JavaScript는 이전 코드가 남아있음
- `git pull` 후 Docker 빌드를 해도 변경사항이 반영되지 않음
- E2E 테스트는 통과했지만, 실제 브라우저 테스트에서 404 에러 발생

## 구체적인 상황
1. 로컬에서 `server/routes/authRoutes.ts` 수정:
   ```typescript
   // 수정 전
   return res.redirect(`${frontendUrl}/login?error=no_token`);

   // 수정 후
   return res.redirect('/login?error=no_token');
   ```

2. Git commit & push 완료 (a8f57d4)

3. 오라클 서버에서 `git pull` 완료 - 소스 코드 확인됨

4. `docker build -t wbsaleshub:staging .` 실행

5. 빌드 로그에서 모든 레이어 CACHED로 표시:
   ```
   #14 [backend-builder 4/7] COPY server ./server
   #14 CACHED

   #19 [backend-builder 7/7] RUN npm run build:server
   #19 CACHED
   ```

6. 컨테이너 시작 후 테스트:
   ```bash
   curl -I http://localhost:4010/auth/sso-complete
   # Location: https://staging.workhub.biz:4400/saleshub/login?error=no_token (이전 코드)
   ```

7. 컨테이너 내부 확인:
   ```bash
   docker exec wbsaleshub-staging grep -A 1 'Redirecting to /login' /app/dist/server/routes/authRoutes.js
   # return res.redirect(`${frontendUrl}/login?error=no_token`); (이전 코드)
   ```

## 근본 원인
- **Docker BuildKit은 파일 내용의 해시를 기준으로 캐시를 판단**
- Git pull로 파일을 가져왔지만, Docker BuildKit의 전역 빌드 캐시가 이전 빌드 결과를 가지고 있음
- `docker rmi` (이미지 삭제)만으로는 빌드 캐시가 삭제되지 않음
- BuildKit 캐시는 **별도 저장소**에 보관됨

## 잘못된 해결 시도

### 1. 컨테이너/이미지 삭제 (❌ 실패)
```bash
docker stop wbsaleshub-staging
docker rm wbsaleshub-staging
docker rmi wbsaleshub:staging
docker build -t wbsaleshub:staging .
# → 여전히 CACHED 레이어 사용
```

**이유**: 빌드 캐시는 이미지와 별도로 관리됨

### 2. `--no-cache` 플래그 사용 (❌ 금지)
```bash
docker build --no-cache -t wbsaleshub:staging .
```

**이유**: Docker 빌드 최적화 가이드에서 **명시적으로 금지**
- BuildKit 캐시 마운트의 효과를 무효화
- 빌드 시간 70-90% 증가
- npm 의존성 다시 다운로드 (네트워크 낭비)

### 3. 파일 수정 타임스탬프 변경 (❌ 실패)
```bash
touch server/routes/authRoutes.ts
docker build -t wbsaleshub:staging .
# → 여전히 CACHED
```

**이유**: BuildKit은 **파일 내용의 해시**를 사용, 타임스탬프 무시

### 4. 더미 주석 추가 후 빌드 (❌ 부분 성공하나 비권장)
```bash
echo '// Cache bust' >> server/routes/authRoutes.ts
docker build -t wbsaleshub:staging .
```

**이유**: Git 커밋하지 않으면 다음 `git pull` 시 충돌 발생

## 올바른 해결 방법

### ✅ 빌드 캐시 삭제 (권장)
```bash
# 빌드 캐시 전체 삭제
docker builder prune -f

# 다시 빌드 (캐시 없이 진행됨)
DOCKER_BUILDKIT=1 docker build -t wbsaleshub:staging .
```

**효과**:
- 빌드 시간: 약 2-3분 (캐시 없이)
- 모든 레이어 재빌드
- 소스 코드 변경사항 확실히 반영

**장점**:
- 가장 확실한 해결 방법
- BuildKit 캐시 마운트 기능은 유지 (npm 다운로드 여전히 빠름)
- `--no-cache`보다 훨씬 빠름 (캐시 마운트는 사용)

### 대안: 특정 빌드 단계만 재실행
```bash
# Dockerfile에 ARG 추가
ARG CACHEBUST=1

# COPY 전에 ARG 사용
ARG CACHEBUST
RUN echo "Cache bust: $CACHEBUST"
COPY server ./server

# 빌드 시 현재 시간으로 CACHEBUST 전달
docker build --build-arg CACHEBUST=$(date +%s) -t wbsaleshub:staging .
```

## 예방 방법

### 1. 빌드 전 캐시 상태 확인
```bash
# 최근 빌드 캐시 크기 확인
docker system df

# 빌드 캐시 상세 정보
docker builder du
```

### 2. 주기적인 캐시 정리
```bash
# 7일 이상 사용하지 않은 캐시 삭제
docker builder prune --filter until=168h -f

# 또는 자동화 스크립트 추가
```

### 3. CI/CD 파이프라인에서 명시적 캐시 무효화
```yaml
# GitHub Actions 예시
- name: Clear Docker build cache
  run: docker builder prune -f

- name: Build Docker image
  run: DOCKER_BUILDKIT=1 docker build -t app:latest .
```

## 학습 포인트

1. **Docker 이미지 ≠ 빌드 캐시**
   - 이미지 삭제만으로는 캐시가 남아있음
   - `docker builder prune`으로 캐시 삭제 필요

2. **BuildKit 캐시는 내용 기반 (Content-Addressable)**
   - 파일 타임스탬프가 아닌 **파일 내용의 해시** 사용
   - Git pull로 파일을 가져와도 내용이 같으면 캐시 사용

3. **`--no-cache`는 최후의 수단**
   - 빌드 최적화 가이드에서 금지
   - `docker builder prune -f`가 훨씬 효율적

4. **E2E 테스트 통과 ≠ 배포 성공**
   - 테스트는 통과했지만 실제 빌드에는 이전 코드가 포함될 수 있음
   - 배포 후 실제 엔드포인트 동작 확인 필요

## 관련 문서
- `/home/peterchung/WHCommon/문서/가이드/Docker-빌드-최적화-가이드.md`
- `/home/peterchung/WHCommon/작업기록/완료/2026-01-16-cookie-sso-implementation.md`

## 태그
`#docker` `#buildkit` `#cache` `#debugging` `#deployment` `#troubleshooting`
"""


def import_seed(**kwargs) -> tuple:
    result = import_markdown(SEED, name=SEED_NAME, **kwargs)
    return result, result.playbook


def test_embedded_seed_is_the_fixture_file():
    assert SEED_PATH.read_text(encoding="utf-8") == SEED


# --- the seed -----------------------------------------------------------------------------


def test_seed_imports_into_a_valid_playbook(tmp_path):
    result, playbook = import_seed()
    assert playbook.id == "docker-buildkit-kaesi-munje"  # romanised title; --id chooses another
    assert result.yaml.startswith("# yaml-language-server: $schema=../runner/schema/playbook.schema.json\n")
    assert "한" in result.yaml or "캐시" in result.yaml  # unicode kept, not escaped
    assert "\\u" not in result.yaml
    (tmp_path / f"{playbook.id}.yaml").write_text(result.yaml, encoding="utf-8")
    valid, problems = load_all([tmp_path])
    assert problems == [] and [p.id for p in valid] == [playbook.id]
    assert playbook.notes == ()  # the seed has nothing the importer cannot place


def test_seed_yaml_is_block_style_and_readable():
    result, _ = import_seed()
    body = result.yaml.split("\n\n", 1)[1]
    assert "run: [docker, builder, prune, -f]" in body  # commands on one line
    assert "tags: [docker, buildkit, cache, debugging, deployment, troubleshooting]" in body
    assert "        code: |\n          docker stop wbsaleshub-staging\n" in body  # code as literal blocks
    assert not re.search(r"^\S+: \{", body, re.M)  # no flow-style mappings at the top level


def test_seed_warnings_name_every_guess():
    result, _ = import_seed()
    joined = "\n".join(result.warnings)
    assert "docker builder prune -f" in joined and "destructive" in joined
    assert "summary composed from the symptoms" in joined
    assert "no symptom has signatures" in joined
    assert all(f"# - {w}" in result.yaml for w in result.warnings)  # also at the top of the file


def norm(text) -> str:
    """Whitespace collapsed, Markdown emphasis and code marks removed."""
    if not isinstance(text, str):
        text = localize(text, "ko")
    return " ".join(text.replace("**", "").replace("`", "").split())


def test_seed_import_matches_the_hand_written_playbook():
    """The Korean text of the import equals the hand-written playbook's.

    Differences on purpose, not compared: the id (buildkit-stale is a name given by hand); the
    summary (an editor's paragraph; the import composes one from the symptoms and says so);
    every English text (a translation); symptom ids, signatures and examples, checks, causes,
    fixes, params and claims (diagnosis and verification, which a write-up does not have);
    captions of code blocks; reference titles; the code block the hand-written situation adds to
    step 4 (its inline `docker build` command); and in the alternatives, the hand-written
    playbook uses {{image}}/{{context}} params where the write-up has `wbsaleshub:staging .`,
    says what the prune loses, and merges the write-up's two Dockerfile edits into one step.
    """
    _, imported = import_seed()
    hand = load_file(HAND_WRITTEN)

    assert norm(imported.title) == norm(hand.title)
    assert imported.occurred == hand.occurred == dt.date(2026, 1, 16)
    assert norm(imported.project) == norm(hand.project)
    assert imported.tags == hand.tags
    assert [norm(s.text) for s in imported.symptoms] == [norm(s.text) for s in hand.symptoms]
    assert [norm(s.text) for s in imported.situation] == [norm(s.text) for s in hand.situation]
    # the hand-written step 4 also shows its inline command as a code block; otherwise equal
    assert [[norm(c.code) for c in s.code] for s in imported.situation] == \
        [[norm(c.code) for c in s.code] if i != 3 else [] for i, s in enumerate(hand.situation)]
    assert [norm(p) for p in imported.reported_cause.points] == [norm(p) for p in hand.reported_cause.points]

    assert [norm(w.title) for w in imported.wrong_attempts] == [norm(w.title) for w in hand.wrong_attempts]
    assert [[norm(y) for y in w.why] for w in imported.wrong_attempts] == \
        [[norm(y) for y in w.why] for w in hand.wrong_attempts]
    assert [w.verdict for w in imported.wrong_attempts] == [w.verdict for w in hand.wrong_attempts]
    assert [norm(w.result) for w in imported.wrong_attempts] == [norm(w.result) for w in hand.wrong_attempts]
    assert [[norm(c.code) for c in w.code] for w in imported.wrong_attempts] == \
        [[norm(c.code) for c in w.code] for w in hand.wrong_attempts]

    # the write-up's two fixes are the hand-written playbook's first two alternatives
    hand_alternatives = hand.alternatives[:2]
    assert [norm(f.title) for f in imported.alternatives] == [norm(f.title) for f in hand_alternatives]
    prune, hand_prune = imported.alternatives[0], hand_alternatives[0]
    assert [norm(s.title) for s in prune.steps] == [norm(s.title) for s in hand_prune.steps]
    assert prune.steps[0].run == hand_prune.steps[0].run == ("docker", "builder", "prune", "-f")
    assert [s.effect for s in prune.steps] == [s.effect for s in hand_prune.steps]
    assert prune.steps[1].env == hand_prune.steps[1].env == {"DOCKER_BUILDKIT": "1"}
    assert prune.steps[1].run == ("docker", "build", "-t", "wbsaleshub:staging", ".")  # hand: {{image}} {{context}}
    assert [norm(b) for b in prune.benefits] == [norm(b) for b in hand_prune.benefits]
    cachebust = imported.alternatives[1]
    assert "docker build --build-arg CACHEBUST=$(date +%s)" in cachebust.steps[-1].code.code  # kept, not run
    assert cachebust.steps[-1].run is None

    assert [norm(p.title) for p in imported.prevention] == [norm(p.title) for p in hand.prevention]
    assert [[norm(c.code) for c in p.code] for p in imported.prevention] == \
        [[norm(c.code) for c in p.code] for p in hand.prevention]
    assert [norm(lesson.title) for lesson in imported.lessons] == [norm(lesson.title) for lesson in hand.lessons]
    assert [[norm(p) for p in lesson.points] for lesson in imported.lessons] == \
        [[norm(p) for p in lesson.points] for lesson in hand.lessons]
    assert [r.path for r in imported.references] == [r.path for r in hand.references]


# --- other write-ups --------------------------------------------------------------------------

ENGLISH = """\
# Incident: port already allocated on deploy

Intro paragraph that becomes the summary.

## Date
2025-11-03

## Symptoms
- `docker compose up` fails with `port is already allocated`
  ```
  Error response from daemon: driver failed programming external connectivity: Bind for 0.0.0.0:8080 failed: port is already allocated
  ```

## What happened
1. Deployed the new compose file.
2. The old container still held the port.

## Root cause
The previous container was never removed.

## What didn't work
- Restarting Docker ❌ failed
  - it came back with the container

## Fix
```bash
# Find who holds the port
docker ps --filter publish=8080
docker rm -f old-web
docker compose up -d
```

## Benchmarks
| run | time |
|-----|------|
| 1   | 3 s  |

## Tags
#docker, #compose, #ports, #포트
"""


def test_english_write_up(tmp_path):
    result = import_markdown(ENGLISH, name="en.md")
    pb = result.playbook
    assert pb.id == "port-already-allocated-on-deploy"
    assert pb.title.en == "port already allocated on deploy" and pb.title.ko is None
    assert localize(pb.summary, "en") == "Intro paragraph that becomes the summary."
    assert pb.occurred == dt.date(2025, 11, 3)
    assert "Bind for 0.0.0.0:8080" in pb.symptoms[0].example.code
    assert [localize(s.text, "en") for s in pb.situation] == ["Deployed the new compose file.",
                                                              "The old container still held the port."]
    [attempt] = pb.wrong_attempts
    assert (localize(attempt.title, "en"), attempt.verdict.value) == ("Restarting Docker", "fails")
    assert [localize(w, "en") for w in attempt.why] == ["it came back with the container"]
    steps = pb.alternatives[0].steps
    assert [(s.run, s.effect.value) for s in steps] == [
        (("docker", "ps", "--filter", "publish=8080"), "read"),
        (("docker", "rm", "-f", "old-web"), "destructive"),
        (("docker", "compose", "up", "-d"), "write")]
    assert localize(steps[0].title, "en") == "Find who holds the port"
    assert pb.tags == ("docker", "compose", "ports")
    notes = [localize(n, "en") for n in pb.notes]
    assert any("## Benchmarks" in n and "| 1   | 3 s  |" in n for n in notes)  # unknown section, kept
    assert any("#포트" in n for n in notes)  # not a valid tag, kept
    assert any("Benchmarks" in w and "unknown section" in w for w in result.warnings)


def test_unplaceable_blocks_go_to_notes_and_are_reported():
    text = "# T\n\n## 에러 증상\n- 증상 하나\n\n## 근본 원인\n- 원인\n\n```\ncode under the cause\n```\n"
    result = import_markdown(text)
    assert [localize(n, "ko") for n in result.playbook.notes] == ["## 근본 원인\n\n```\ncode under the cause\n```"]
    assert any("근본 원인" in w and "kept in notes" in w for w in result.warnings)


def test_placeholders_in_a_fix_become_declared_params():
    text = "# T\n\n## Symptoms\n- s\n\n## Fix\n```bash\ndocker build -t {{image}} .\n```\n"
    result = import_markdown(text)
    assert "image" in result.playbook.params
    assert result.playbook.alternatives[0].steps[0].code.code == "docker build -t {{image}} ."


# --- properties --------------------------------------------------------------------------------

CONTENT = ["alpha", "bravo", "charlie", "delta7", "감자", "고구마", "빌드캐시", "echo9", "포트충돌", "zulu"]
HEADINGS = [h for names in ("발생 날짜", "프로젝트", "에러 증상", "구체적인 상황", "근본 원인", "잘못된 해결 시도",
                            "올바른 해결 방법", "대안", "예방 방법", "학습 포인트", "관련 문서", "태그", "Symptoms",
                            "Fix", "Lessons", "Unknown things", "요약") for h in [names]]
MARKS = ["", " (❌ 실패)", " (❌ 금지)", " (❌ 부분 성공)", " ✅", " ⚠️ partly"]
LINES = ["docker builder prune -f", "# a comment", "DOCKER_BUILDKIT=1 docker build -t app .", "ls | wc -l",
         "echo $(date)", "FROM scratch", "- name: x", "docker rm -f web", "{{image}}", "cd /srv"]

words = st.lists(st.sampled_from(CONTENT), min_size=1, max_size=4).map(" ".join)


@st.composite
def blocks(draw) -> str:
    kind = draw(st.sampled_from(["para", "bullets", "ordered", "code", "label", "sub", "quote", "date", "tags"]))
    if kind == "para":
        return draw(words)
    if kind == "bullets":
        items = draw(st.lists(words, min_size=1, max_size=3))
        nested = draw(st.booleans())
        return "\n".join(f"- {w}" + (f"\n  - {w}" if nested else "") for w in items)
    if kind == "ordered":
        items = draw(st.lists(words, min_size=1, max_size=3))
        fence = draw(st.booleans())
        return "\n".join(f"{n}. {w}" + ("\n   ```bash\n   docker ps\n   ```" if fence else "")
                         for n, w in enumerate(items, 1))
    if kind == "code":
        lang = draw(st.sampled_from(["", "bash", "yaml", "dockerfile", "console"]))
        body = "\n".join(draw(st.lists(st.sampled_from(LINES + CONTENT), min_size=1, max_size=5)))
        return f"```{lang}\n{body}\n```"
    if kind == "label":
        return f"**{draw(st.sampled_from(['이유', '효과', '장점', 'Why', '결과', '단점', 'Note']))}**: {draw(words)}"
    if kind == "sub":
        return f"### {draw(st.sampled_from(['', '1. ']))}{draw(words)}{draw(st.sampled_from(MARKS))}"
    if kind == "quote":
        return f"> {draw(words)}"
    if kind == "date":
        return draw(st.sampled_from(["2026-01-16", "2026년 1월 16일", "2026-13-40", "어제"]))
    return " ".join(f"`#{w}`" for w in draw(st.lists(st.sampled_from(CONTENT + ["docker", "c++"]), max_size=3)))


@st.composite
def write_ups(draw) -> str:
    parts = [f"# {draw(words)}"] if draw(st.integers(0, 9)) else []  # now and then no title
    for _ in range(draw(st.integers(0, 6))):
        level = draw(st.sampled_from(["##", "##", "##", "#", "###"]))
        parts.append(f"{level} {draw(st.sampled_from(HEADINGS))}")
        parts.extend(draw(st.lists(blocks(), max_size=4)))
    return "\n\n".join(parts) + "\n"


def occurrences(word: str, text: str) -> int:
    return len(re.findall(rf"(?<!\w){word}(?!\w)", text))


def all_strings(value) -> str:
    if isinstance(value, dict):
        return " ".join(f"{k} {all_strings(v)}" for k, v in value.items())
    if isinstance(value, list):
        return " ".join(all_strings(v) for v in value)
    return str(value)


def check(markdown: str) -> None:
    try:
        result = import_markdown(markdown, name="random.md")
    except ImportFailed as exc:
        message = str(exc)
        assert "\n" not in message
        assert "bug" not in message, message
        assert message.startswith(("no symptoms", "no title", "cannot make an id", "random.md is empty")), message
        return
    data = yaml.safe_load(result.yaml)
    assert data["id"] == result.playbook.id
    written = all_strings(data)
    tags = data.get("tags") or []
    for word in CONTENT:  # every occurrence is somewhere (a tag given twice is one tag)
        if word not in tags:
            assert occurrences(word, written) >= occurrences(word, markdown), (word, result.yaml)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(write_ups())
def test_random_write_ups_give_a_valid_playbook_or_a_clean_error_and_lose_no_word(markdown):
    check(markdown)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=400))
def test_random_text_never_crashes(text):
    check(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(["# ", "## 에러 증상\n", "## Fix\n", "- ", "1. ", "```", "```bash\n", "\n", "\n\n",
                                 "### ", "❌", "**이유**: ", "{{image}}", "{{ evidence.a.b }}", "[x]: http://y\n",
                                 "| a |\n|---|\n", "<div>", "\t", "  ", "alpha", "감자", "docker rm x"]),
                max_size=40).map("".join))
def test_markdown_fragments_never_crash(text):
    check(text)
