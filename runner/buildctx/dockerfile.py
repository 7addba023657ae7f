"""The Dockerfile as BuildKit's parser reads it: line continuations, parser directives,
heredocs, builder flags, stages and their COPY/ADD instructions (the destination made absolute
against WORKDIR)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.buildctx import ContextError, DockerfileError
from runner.buildctx.gopath import go_clean

_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_HEREDOC_WORD = re.compile(r"^(\d*)<<(-?)([^<]+)$")
_HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case
    args: str  # the text after the keyword, continuation lines joined, flags included
    line: int  # 1-based line where the instruction starts
    end_line: int
    heredocs: tuple[str, ...] = ()


@dataclass(frozen=True)
class CopyInstruction:
    instruction: str  # "COPY" or "ADD"
    line: int
    end_line: int
    stage: int
    sources: tuple[str, ...]  # as written, quotes removed; $VARS not expanded
    dest: str  # as written
    dest_abs: str  # absolute in the image: WORKDIR applied, cleaned, "/" kept at the end of a directory
    workdir: str
    from_: str | None = None  # --from as written
    from_stage: int | None = None  # the stage --from names; None for the context or an image
    chown: str | None = None
    chmod: str | None = None
    link: bool = False
    flags: tuple[tuple[str, str | bool], ...] = ()
    json_form: bool = False
    heredocs: tuple[str, ...] = ()  # inline sources (COPY <<EOF ...): not from the context
    has_variables: bool = False  # a `$` in a source or the destination: reported raw

    @property
    def from_context(self) -> bool:
        return self.from_ is None

    @property
    def from_image(self) -> bool:
        return self.from_ is not None and self.from_stage is None

    @property
    def dest_is_dir(self) -> bool:
        """A directory by the Dockerfile's syntax: trailing `/`, `.` or several sources."""
        return self.dest_abs.endswith("/") or len(self.sources) + len(self.heredocs) > 1

    def context_sources(self) -> tuple[str, ...]:
        if not self.from_context:
            return ()
        return tuple(s for s in self.sources if not is_remote(s))

    def to_evidence(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "line": self.line, "instruction": self.instruction, "sources": list(self.sources),
            "dest": self.dest, "dest_abs": self.dest_abs, "from": self.from_,
            "from_stage": self.from_stage, "from_context": self.from_context,
        }
        for key in ("chown", "chmod"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.link:
            out["link"] = True
        if self.json_form:
            out["json"] = True
        if self.heredocs:
            out["heredocs"] = list(self.heredocs)
        if self.has_variables:
            out["has_variables"] = True
        return out


@dataclass(frozen=True)
class Stage:
    index: int
    base: str  # FROM's image as written
    line: int
    name: str | None = None  # lower case, as BuildKit compares them
    base_stage: int | None = None  # when FROM names an earlier stage
    platform: str | None = None
    instructions: tuple[Instruction, ...] = ()
    copies: tuple[CopyInstruction, ...] = ()
    workdir: str = "/"  # at the end of the stage
    workdirs: tuple[tuple[int, str], ...] = ()  # (line, absolute directory) of each WORKDIR

    @property
    def label(self) -> str:
        return self.name or str(self.index)


@dataclass(frozen=True)
class Dockerfile:
    stages: tuple[Stage, ...]
    directives: tuple[tuple[str, str], ...] = ()
    escape: str = "\\"
    meta_args: tuple[Instruction, ...] = ()  # ARGs before the first FROM

    def stage(self, ref: str | int) -> Stage | None:
        """A stage by name (any case) or index, as `--from` and `--target` name them."""
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            index = int(ref)
            return self.stages[index] if 0 <= index < len(self.stages) else None
        for stage in self.stages:
            if stage.name == ref.lower():
                return stage
        return None

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def needed_stages(self, target: str | int | None = None) -> list[int]:
        """Indices of the stages a build of `target` runs (BuildKit skips the others)."""
        final = self.stage(target) if target is not None else self.final
        if final is None:
            raise DockerfileError(f"no stage {target!r} in the Dockerfile")
        needed: set[int] = set()
        todo = [final.index]
        while todo:
            index = todo.pop()
            if index in needed:
                continue
            needed.add(index)
            stage = self.stages[index]
            if stage.base_stage is not None:
                todo.append(stage.base_stage)
            todo.extend(c.from_stage for c in stage.copies if c.from_stage is not None)
            for ins in stage.instructions:  # RUN --mount=from=<stage>
                for match in re.finditer(r"(?:^|[\s,])from=([^\s,]+)", ins.args) if ins.keyword == "RUN" else ():
                    dep = self.stage(match.group(1).strip("\"'"))
                    if dep is not None and dep.index < index:
                        todo.append(dep.index)
        return sorted(needed)


def is_remote(source: str) -> bool:
    return source.startswith(("http://", "https://", "git@", "git://")) or (
        "://" in source and source.split("://", 1)[0] in ("ssh", "git+ssh"))


def extract_flags(line: str) -> tuple[str, list[str]]:
    """BuildKit's extractBuilderFlags: leading `--name[=value]` words, quotes and `\\` honoured."""
    words: list[str] = []
    in_spaces, in_word, in_quote = 0, 1, 2
    phase, word, quote, blank_ok = in_spaces, "", "", False
    pos, n = 0, len(line)
    while pos <= n:
        ch = line[pos] if pos < n else ""
        if phase == in_spaces:
            if pos == n:
                break
            if ch.isspace():
                pos += 1
                continue
            if ch != "-" or pos + 1 == n or line[pos + 1] != "-":
                return line[pos:], words
            phase = in_word
        if phase in (in_word, in_quote) and pos == n:
            if word != "--" and (blank_ok or word):
                words.append(word)
            break
        if phase == in_word:
            if ch.isspace():
                phase = in_spaces
                if word == "--":
                    return line[pos:], words
                if blank_ok or word:
                    words.append(word)
                word, blank_ok = "", False
                pos += 1
                continue
            if ch in "'\"":
                quote, blank_ok, phase = ch, True, in_quote
                pos += 1
                continue
            if ch == "\\":
                if pos + 1 == n:
                    pos += 1
                    continue
                pos += 1
                ch = line[pos]
            word += ch
            pos += 1
            continue
        if phase == in_quote:
            if ch == quote:
                phase = in_word
                pos += 1
                continue
            if ch == "\\":
                if pos + 1 == n:
                    phase = in_word
                    pos += 1
                    continue
                pos += 1
                ch = line[pos]
            word += ch
            pos += 1
    return "", words


def _parse_flags(words: list[str]) -> dict[str, str | bool]:
    flags: dict[str, str | bool] = {}
    for word in words:
        name, eq, value = word[2:].partition("=")
        flags[name.lower()] = value if eq else True
    return flags


def _unquote(word: str, escape: str) -> str:
    """What the shell lexer leaves of one word: quotes removed, escapes applied ($ not expanded)."""
    out, quote, i = [], "", 0
    while i < len(word):
        ch = word[i]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == escape and quote == '"' and i + 1 < len(word):
                i += 1
                out.append(word[i])
            else:
                out.append(ch)
        elif ch in "'\"":
            quote = ch
        elif ch == escape and i + 1 < len(word):
            i += 1
            out.append(word[i])
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _shell_words(text: str, escape: str) -> list[str]:
    """Words split on blanks outside quotes, quotes kept (BuildKit's lexer with RawQuotes)."""
    words, word, quote, i, in_word = [], [], "", 0, False
    while i < len(text):
        ch = text[i]
        if quote:
            word.append(ch)
            if ch == quote:
                quote = ""
            elif ch == escape and quote == '"' and i + 1 < len(text):
                i += 1
                word.append(text[i])
        elif ch.isspace():
            if in_word:
                words.append("".join(word))
                word, in_word = [], False
        else:
            in_word = True
            word.append(ch)
            if ch in "'\"":
                quote = ch
            elif ch == escape and i + 1 < len(text):
                i += 1
                word.append(text[i])
        i += 1
    if in_word:
        words.append("".join(word))
    return words


def _heredoc_names(args: str, escape: str = "\\") -> list[tuple[str, bool]]:
    """(name, chomp) for each `<<NAME`, `<<-NAME`, `<<"NAME"` word: BuildKit's ParseHeredoc.
    A quoted word is not a heredoc: `RUN echo "a <<EOF"` reads on."""
    found = []
    for word in _shell_words(args, escape):
        m = _HEREDOC_WORD.match(word)
        if not m:
            continue
        name = _unquote(m.group(3), escape)
        if name:
            found.append((name, m.group(2) == "-"))
    return found


def _split_lines(text: str) -> list[str]:
    return [line.removesuffix("\r") for line in text.split("\n")]


def parse_instructions(text: str) -> tuple[list[Instruction], dict[str, str], str]:
    """Logical instructions with their lines, the parser directives and the escape character."""
    lines = _split_lines(text.removeprefix("\ufeff"))
    directives: dict[str, str] = {}
    index = 0
    while index < len(lines):
        m = _DIRECTIVE.match(lines[index])
        if not m:
            break
        key = m.group(1).lower()
        if key in directives:
            raise DockerfileError(f"line {index + 1}: only one {key} parser directive can be used")
        directives[key] = m.group(2)
        index += 1
    escape = directives.get("escape", "\\")
    if escape not in ("\\", "`"):
        raise DockerfileError(f"invalid escape token {escape!r}: does not validate as a single character")
    continuation = re.compile(re.escape(escape) + r"[ \t]*$")

    instructions: list[Instruction] = []
    while index < len(lines):
        raw = lines[index].lstrip()
        index += 1
        if not raw or raw.startswith("#"):
            continue
        start = index
        logical, more = _trim_continuation(raw, continuation)
        while more and index < len(lines):
            nxt = lines[index]
            index += 1
            stripped = nxt.lstrip()
            if stripped.startswith("#") or not stripped:
                continue
            part, more = _trim_continuation(nxt, continuation)
            logical += part
        if not logical.strip():
            continue
        keyword, _, args = logical.strip().partition(" ")
        if "\t" in keyword:
            keyword, _, tail = keyword.partition("\t")
            args = tail + " " + args
        keyword = keyword.upper()
        args = args.strip()
        heredocs: list[str] = []
        if keyword in _HEREDOC_INSTRUCTIONS:
            for name, chomp in _heredoc_names(args, escape):
                heredocs.append(name)
                while index < len(lines):
                    body = lines[index]
                    index += 1
                    if (body.lstrip("\t") if chomp else body) == name:
                        break
        instructions.append(Instruction(keyword, args, start, index, tuple(heredocs)))
    return instructions, directives, escape


def _trim_continuation(line: str, pattern: re.Pattern[str]) -> tuple[str, bool]:
    m = pattern.search(line)
    if m:
        return line[: m.start()], True
    return line, False


def join_image_path(workdir: str, path: str) -> str:
    joined = go_clean(path if path.startswith("/") else f"{workdir}/{path}")
    return joined


def _parse_copy(ins: Instruction, stage_index: int, workdir: str, stages: list[Stage], escape: str) -> CopyInstruction:
    rest, flag_words = extract_flags(ins.args)
    flags = _parse_flags(flag_words)
    heredoc_names = set(ins.heredocs)
    json_form = False
    words: list[str]
    stripped = rest.strip()
    if stripped.startswith("["):
        try:
            parsed = json.loads(stripped)
        except ValueError:
            parsed = None
        if isinstance(parsed, list) and all(isinstance(w, str) for w in parsed):
            words, json_form = parsed, True
        else:
            words = [_unquote(w, escape) for w in stripped.split()]
    else:
        words = []
        for w in stripped.split():
            m = _HEREDOC_WORD.match(w)
            if m and _unquote(m.group(3), "\\") in heredoc_names:
                continue
            words.append(_unquote(w, escape))
    if not words or (len(words) < 2 and not heredoc_names):
        raise DockerfileError(f"line {ins.line}: {ins.keyword} requires at least two arguments")
    *sources, dest = words
    dest_abs = join_image_path(workdir, dest)
    if dest in (".", "") or dest.endswith("/") or len(sources) + len(heredoc_names) > 1:
        dest_abs = dest_abs.rstrip("/") + "/"
    from_ = flags.get("from")
    from_stage = None
    if isinstance(from_, str):
        ref = _unquote(from_, escape)
        from_ = ref
        if ref.isdigit():
            if int(ref) >= stage_index:
                raise DockerfileError(f"line {ins.line}: --from={ref} names this stage or a later one")
            from_stage = int(ref)
        else:
            for stage in stages:
                if stage.name == ref.lower():
                    from_stage = stage.index
    elif from_ is True:
        raise DockerfileError(f"line {ins.line}: --from needs a value")

    def text_flag(name: str) -> str | None:
        value = flags.get(name)
        return value if isinstance(value, str) else None

    return CopyInstruction(
        instruction=ins.keyword, line=ins.line, end_line=ins.end_line, stage=stage_index,
        sources=tuple(sources), dest=dest, dest_abs=dest_abs, workdir=workdir,
        from_=from_ if isinstance(from_, str) else None, from_stage=from_stage,
        chown=text_flag("chown"), chmod=text_flag("chmod"), link=flags.get("link") not in (None, False, "false"),
        flags=tuple(sorted(flags.items())), json_form=json_form, heredocs=tuple(ins.heredocs),
        has_variables=any("$" in w for w in words),
    )


def parse_dockerfile(text: str) -> Dockerfile:
    """Stages with their COPY/ADD instructions; raises DockerfileError where BuildKit would fail."""
    instructions, directives, escape = parse_instructions(text)
    stages: list[Stage] = []
    meta_args: list[Instruction] = []
    current: dict[str, Any] | None = None

    def close() -> None:
        if current is not None:
            stages.append(Stage(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in current.items()}))

    for ins in instructions:
        if ins.keyword == "FROM":
            close()
            rest, flag_words = extract_flags(ins.args)
            flags = _parse_flags(flag_words)
            words = rest.split()
            if len(words) not in (1, 3) or (len(words) == 3 and words[1].lower() != "as"):
                raise DockerfileError(f"line {ins.line}: FROM requires either one or three arguments")
            base = words[0]
            name = words[2].lower() if len(words) == 3 else None
            base_stage = next((s.index for s in stages if s.name == base.lower()), None)
            workdir = stages[base_stage].workdir if base_stage is not None else "/"
            platform = flags.get("platform")
            current = {
                "index": len(stages), "base": base, "line": ins.line, "name": name, "base_stage": base_stage,
                "platform": platform if isinstance(platform, str) else None,
                "instructions": [ins], "copies": [], "workdir": workdir, "workdirs": [],
            }
            continue
        if current is None:
            if ins.keyword == "ARG":
                meta_args.append(ins)
                continue
            raise DockerfileError(f"line {ins.line}: {ins.keyword} before the first FROM")
        current["instructions"].append(ins)
        if ins.keyword == "WORKDIR":
            value = _unquote(ins.args.strip(), escape)
            if not value:
                raise DockerfileError(f"line {ins.line}: WORKDIR requires exactly one argument")
            current["workdir"] = join_image_path(current["workdir"], value)
            current["workdirs"].append((ins.line, current["workdir"]))
        elif ins.keyword in ("COPY", "ADD"):
            current["copies"].append(_parse_copy(ins, current["index"], current["workdir"], stages, escape))
    close()
    if not stages:
        raise DockerfileError("the Dockerfile has no FROM")
    return Dockerfile(tuple(stages), tuple(directives.items()), escape, tuple(meta_args))


def read_dockerfile(path: str | os.PathLike[str]) -> Dockerfile:
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8", "surrogateescape")
    except FileNotFoundError:
        raise ContextError(f"no Dockerfile at {path}") from None
    except IsADirectoryError:
        raise ContextError(f"{path} is a directory, not a Dockerfile") from None
    except OSError as exc:
        raise ContextError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return parse_dockerfile(text)
    except DockerfileError as exc:
        raise DockerfileError(f"{path}: {exc}") from None
