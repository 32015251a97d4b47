"""Load what a student handed in (folder, .zip, .py, .ipynb, or a class folder) without writing to it."""
from __future__ import annotations

import ast
import hashlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from . import notebook
from .threadsafe import AST_LOCK
from .manifest import Lab

MAX_ANSWER_BYTES = 2_000_000  # an answer module larger than this is not code a student wrote


@dataclass
class Submission:
    student: str
    origin: Path
    sources: dict[str, str] = field(default_factory=dict)  # answer file -> module source
    problems: dict[str, str] = field(default_factory=dict)  # answer file -> why it cannot be graded
    used: dict[str, str] = field(default_factory=dict)  # answer file -> where the code came from

    def digest(self) -> str:
        h = hashlib.sha256()
        for name in sorted(self.sources):
            h.update(name.encode() + b"\0" + self.sources[name].encode() + b"\0")
        for name in sorted(self.problems):
            h.update(b"!" + name.encode() + self.problems[name].encode())
        return h.hexdigest()

    def missing_symbols(self, lab: Lab) -> dict[str, str]:
        """question id -> reason, decided statically (the code is parsed, never run, here)."""
        reasons = {}
        defined = {f: _top_level_names(src) for f, src in self.sources.items()}
        for q in lab.questions:
            if q.file in self.problems:
                reasons[q.id] = self.problems[q.file]
                continue
            absent = [s for s in q.symbols if s not in defined.get(q.file, set())]
            if absent:
                reasons[q.id] = f"{q.file} does not define {', '.join(absent)}"
        return reasons


def _top_level_names(source: str) -> set[str]:
    names = set()
    with AST_LOCK:
        tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def discover(lab: Lab, paths: list[Path]) -> list[tuple[str, Path]]:
    """(student id, path) for each submission among the given paths; class folders are expanded."""
    found: list[tuple[str, Path]] = []
    for p in paths:
        p = Path(p)
        if p.is_dir() and not _holds_answers(lab, p):
            children = sorted(c for c in p.iterdir() if not c.name.startswith(".") and c.name != "__pycache__")
            found += [(_student_id(c), c) for c in children if c.is_dir() or c.suffix in (".zip", ".py", ".ipynb")]
        else:
            found.append((_student_id(p), p))
    ids = [s for s, _ in found]
    dupes = {s for s in ids if ids.count(s) > 1}
    return [(f"{s}-{i}" if s in dupes else s, p) for i, (s, p) in enumerate(found)]


def _student_id(p: Path) -> str:
    return p.stem if p.is_file() else p.name


def _holds_answers(lab: Lab, folder: Path) -> bool:
    """One student's folder (not a class): it holds an answer file by name, or a single loose answer."""
    names = {Path(f).stem for f in lab.answer_files}
    entries = [c for c in folder.iterdir() if not c.name.startswith(".") and c.name != "__pycache__"]
    if any(c.is_file() and c.suffix in (".py", ".ipynb") and c.stem in names for c in entries):
        return True
    loose = [c for c in entries if c.is_file() and c.suffix in (".py", ".ipynb", ".zip")]
    return not any(c.is_dir() for c in entries) and len(loose) == 1 and loose[0].suffix != ".zip"


def load(lab: Lab, student: str, path: Path, stubs: dict[str, str] | None = None) -> Submission:
    """Read a submission into memory. Every problem becomes a reason; nothing raises, nothing is written."""
    sub = Submission(student=student, origin=path)
    try:
        files = _read_files(path)
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        sub.problems = {f: f"could not read the submission: {exc}" for f in lab.answer_files}
        return sub
    for answer in lab.answer_files:
        _pick(lab, sub, answer, files, stubs or {})
    for answer, src in list(sub.sources.items()):
        try:
            with AST_LOCK:
                compile(src, answer, "exec", dont_inherit=True)  # never runs it; catches misplaced __future__ too
        except (SyntaxError, ValueError) as exc:
            sub.problems[answer] = f"{answer} has a syntax error at line {getattr(exc, 'lineno', '?')}: " \
                                   f"{getattr(exc, 'msg', exc)}"
            del sub.sources[answer]
    return sub


def _read_files(path: Path) -> dict[str, bytes]:
    """basename -> bytes of the .py/.ipynb files a submission holds (the shallowest wins)."""
    if path.is_file() and path.suffix == ".zip":
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.infolist() if not m.is_dir() and Path(m.filename).suffix in (".py", ".ipynb")
                       and "__MACOSX" not in m.filename and m.file_size <= MAX_ANSWER_BYTES]
            members.sort(key=lambda m: m.filename.count("/"))
            out: dict[str, bytes] = {}
            for m in members:
                out.setdefault(Path(m.filename).name, zf.read(m))
            return out
    if path.is_file():
        return {path.name: _read_capped(path)}
    if path.is_dir():
        files = sorted((p for p in path.rglob("*") if p.is_file() and p.suffix in (".py", ".ipynb")
                        and ".ipynb_checkpoints" not in p.parts),
                       key=lambda p: len(p.relative_to(path).parts))
        out = {}
        for p in files:
            if p.name not in out:
                out[p.name] = _read_capped(p)
        return out
    raise ValueError(f"{path} does not exist")


def _read_capped(p: Path) -> bytes:
    if p.stat().st_size > MAX_ANSWER_BYTES:
        raise ValueError(f"{p.name} is larger than {MAX_ANSWER_BYTES // 1_000_000} MB")
    return p.read_bytes()


def _pick(lab: Lab, sub: Submission, answer: str, files: dict[str, bytes], stubs: dict[str, str]) -> None:
    stem = Path(answer).stem
    single = len(lab.answer_files) == 1
    py = files.get(answer)
    if py is None and single:
        others = [n for n in files if n.endswith(".py")]
        py = files[others[0]] if len(others) == 1 else None
    nb_name = f"{stem}.ipynb" if f"{stem}.ipynb" in files else None
    if nb_name is None and single:
        nbs = [n for n in files if n.endswith(".ipynb")]
        nb_name = nbs[0] if len(nbs) == 1 else None
    py_text = py.decode("utf-8", errors="replace") if py is not None else None
    # A learner who answered in the notebook often leaves the untouched .py stub beside it.
    py_untouched = py_text is not None and stubs.get(answer) == py_text
    if py_text is not None and not (py_untouched and nb_name):
        sub.sources[answer], sub.used[answer] = py_text, answer
        return
    if nb_name:
        try:
            sub.sources[answer] = notebook.answer_module(notebook.read(files[nb_name]))
            sub.used[answer] = nb_name
        except notebook.NotebookError as exc:
            sub.problems[answer] = f"{nb_name}: {exc}"
        return
    sub.problems[answer] = f"no {answer} (or {stem}.ipynb) found in the submission"
