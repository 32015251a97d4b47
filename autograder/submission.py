"""Load what a student handed in (folder, .zip, .py, .ipynb, or a class folder) without writing to it.

Hostile uploads are normal here. Nothing in this module raises for a submission: every failure to read or parse
one (any exception, RecursionError and MemoryError included) becomes that student's reason and the batch goes on.
- A symbolic link is never followed out of the submission: one that points inside it is read as its target, any
  other is refused with a reason. Special files (fifos, sockets, devices) are refused by type before any read.
- Archives are read member by member, only the answer files, each inflated in chunks under a cap, with a cap on
  the inflated total: a zip bomb costs a few megabytes, an encrypted or corrupt member is a reason.
"""
from __future__ import annotations

import ast
import hashlib
import os
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from . import notebook
from .manifest import Lab
from .threadsafe import AST_LOCK

MAX_ANSWER_BYTES = 2_000_000  # an answer module larger than this is not code a student wrote
MAX_INFLATED_TOTAL = 20_000_000  # all answer members of one archive, inflated
MAX_MEMBERS = 10_000  # entries of one archive that are looked at
ANSWER_SUFFIXES = (".py", ".ipynb")


@dataclass
class Submission:
    student: str
    origin: Path
    sources: dict[str, str] = field(default_factory=dict)  # answer file -> module source
    problems: dict[str, str] = field(default_factory=dict)  # answer file -> why it cannot be graded
    used: dict[str, str] = field(default_factory=dict)  # answer file -> where the code came from
    unreadable: bool = False  # the upload itself could not be read (every question scores 0 with the reason)
    warnings: list[str] = field(default_factory=list)  # files ignored or refused, duplicates

    def digest(self) -> str:
        h = hashlib.sha256()
        for name in sorted(self.sources):
            h.update(name.encode() + b"\0" + self.sources[name].encode("utf-8", "surrogateescape") + b"\0")
        for name in sorted(self.problems):
            h.update(b"!" + name.encode() + self.problems[name].encode("utf-8", "replace"))
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


    def forbidden(self, lab: Lab) -> dict[str, str]:
        """question id -> reason, for answers that mention a name their question forbids (the text is read, not run)."""
        reasons = {}
        for q in lab.questions:
            if q.forbid and q.file in self.sources:
                found = sorted(set(q.forbid) & mentioned_names(self.sources[q.file]))
                if found:
                    reasons[q.id] = f"{q.file} uses {', '.join(found)}, which this question forbids"
        return reasons


def mentioned_names(source: str) -> set[str]:
    """Every identifier, attribute, imported name and string constant in the source (what a ban looks for)."""
    try:
        with AST_LOCK:
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.alias):
            names |= set(node.name.split("."))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 200:
            names.add(node.value)
    return names


def _top_level_names(source: str) -> set[str]:
    names = set()
    try:
        with AST_LOCK:
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return names
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


# ---------------------------------------------------------------- finding submissions
def discover(lab: Lab, paths: list[Path]) -> list[tuple[str, Path]]:
    """(student id, path) for each submission among the given paths; class folders are expanded."""
    found: list[tuple[str, Path]] = []
    for p in paths:
        p = Path(p)
        if _is_dir(p) and not _holds_answers(lab, p):
            try:
                children = sorted(c for c in p.iterdir() if not c.name.startswith(".") and c.name != "__pycache__")
            except OSError:
                children = []
            found += [(student_id(c), c) for c in children
                      if _is_dir(c) or c.suffix in (".zip", ".py", ".ipynb") or c.is_symlink()]
        else:
            found.append((student_id(p), p))
    ids = [s for s, _ in found]
    dupes = {s for s in ids if ids.count(s) > 1}
    return [(f"{s}-{i}" if s in dupes else s, p) for i, (s, p) in enumerate(found)]


def _is_dir(p: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(p).st_mode)
    except OSError:
        return False


def student_id(p: Path) -> str:
    return p.name if _is_dir(p) else p.stem


def _holds_answers(lab: Lab, folder: Path) -> bool:
    """One student's folder (not a class): it holds an answer file by name, or a single loose answer."""
    names = {Path(f).stem for f in lab.answer_files}
    try:
        entries = [c for c in folder.iterdir() if not c.name.startswith(".") and c.name != "__pycache__"]
    except OSError:
        return False
    if any(c.suffix in ANSWER_SUFFIXES and c.stem in names for c in entries):
        return True
    loose = [c for c in entries if c.suffix in (".py", ".ipynb", ".zip") and not _is_dir(c)]
    return not any(_is_dir(c) for c in entries) and len(loose) == 1 and loose[0].suffix != ".zip"


# ---------------------------------------------------------------- reading one
def load(lab: Lab, student: str, path: Path, stubs: dict[str, str] | None = None) -> Submission:
    """Read a submission into memory. Every problem becomes a reason; nothing raises, nothing is written."""
    sub = Submission(student=student, origin=path)
    try:
        _load(lab, sub, path, stubs or {})
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001  (RecursionError, MemoryError, any library's error: one reason)
        sub.sources.clear()
        sub.used.clear()
        sub.unreadable = True
        why = f"could not read the submission ({type(exc).__name__}: {str(exc)[:200] or 'no detail'})"
        sub.problems = {f: why for f in lab.answer_files}
    return sub


def _load(lab: Lab, sub: Submission, path: Path, stubs: dict[str, str]) -> None:
    files, refused = _read_files(lab, path)
    sub.warnings += refused
    if not files and refused:
        sub.unreadable = True
        sub.problems = {f: f"could not read the submission: {refused[0]}" for f in lab.answer_files}
        return
    for answer in lab.answer_files:
        _pick(lab, sub, answer, files, stubs)
    for answer, src in list(sub.sources.items()):
        problem = compile_problem(answer, src)
        if problem:
            sub.problems[answer] = problem
            del sub.sources[answer]


def compile_problem(name: str, source: str) -> str | None:
    """Why the source cannot be compiled (never run), or None."""
    if "\0" in source:
        return f"{name} contains a NUL byte (a binary file saved as {name}?)"
    try:
        with AST_LOCK:
            compile(source, name, "exec", dont_inherit=True)  # catches misplaced __future__ too
    except SyntaxError as exc:
        where = f"line {exc.lineno}" if exc.lineno else "an unknown line"
        return f"{name} has a syntax error at {where}: {exc.msg}"
    except (ValueError, RecursionError, MemoryError) as exc:
        return f"{name} cannot be compiled ({type(exc).__name__}: nested too deeply or too large)"
    return None


def _wanted(lab: Lab, name: str) -> bool:
    """Files worth reading from an upload: .py and .ipynb files (the answer files are picked from them)."""
    return name.endswith(ANSWER_SUFFIXES) and "__MACOSX" not in name and ".ipynb_checkpoints" not in name


def _read_files(lab: Lab, path: Path) -> tuple[dict[str, bytes], list[str]]:
    """(basename -> bytes of the .py/.ipynb files, the shallowest winning; refusals). Never follows a link out."""
    try:
        mode = os.lstat(path).st_mode
    except OSError as exc:
        return {}, [f"{path.name} cannot be opened ({exc.strerror})"]
    if stat.S_ISLNK(mode):
        return {}, [f"{path.name} is a symbolic link (submissions are read, never followed out)"]
    if stat.S_ISDIR(mode):
        return _read_folder(lab, path)
    if not stat.S_ISREG(mode):
        return {}, [f"{path.name} is not a regular file"]
    if path.suffix == ".zip":
        return _read_zip(lab, path)
    data, why = _read_regular(path)
    return ({path.name: data}, []) if why is None else ({}, [why])


def _read_regular(p: Path) -> tuple[bytes | None, str | None]:
    """The bytes of a regular file, opened without following links or blocking on a fifo, capped in size."""
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        return None, f"{p.name} cannot be opened ({exc.strerror})"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None, f"{p.name} is not a regular file"
        if st.st_size > MAX_ANSWER_BYTES:
            return None, f"{p.name} is larger than {MAX_ANSWER_BYTES // 1_000_000} MB"
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(MAX_ANSWER_BYTES + 1)
        if len(data) > MAX_ANSWER_BYTES:
            return None, f"{p.name} is larger than {MAX_ANSWER_BYTES // 1_000_000} MB"
        return data, None
    finally:
        os.close(fd)


def _read_folder(lab: Lab, root: Path) -> tuple[dict[str, bytes], list[str]]:
    found: list[tuple[int, str, Path]] = []
    refused: list[str] = []
    real_root = os.path.realpath(root)
    for folder, dirs, names in os.walk(root, followlinks=False):
        depth = Path(folder).relative_to(root).parts
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")[:200]
        for d in list(dirs):
            if os.path.islink(os.path.join(folder, d)):
                dirs.remove(d)
                refused.append(f"{os.path.join(*depth, d) if depth else d}/ is a symbolic link (not followed)")
        for name in sorted(names):
            if not _wanted(lab, name):
                continue
            p = Path(folder) / name
            rel = p.relative_to(root)
            if p.is_symlink():
                target = os.path.realpath(p)
                if not target.startswith(real_root + os.sep):
                    refused.append(f"{rel} is a symbolic link out of the submission (not followed)")
                    continue
                p = Path(target)
            found.append((len(rel.parts), str(rel), p))
    out: dict[str, bytes] = {}
    ignored: dict[str, int] = {}
    for _, rel, p in sorted(found):
        name = Path(rel).name
        if name in out:
            if name in lab.answer_files:
                ignored[name] = ignored.get(name, 0) + 1
            continue
        data, why = _read_regular(p)
        if why is None:
            out[name] = data
        else:
            refused.append(why)
    refused += [f"{n} other cop{'y' if n == 1 else 'ies'} of {name} in deeper folders ignored (the shallowest is "
                "graded)" for name, n in ignored.items()]
    return out, refused


def _read_zip(lab: Lab, path: Path) -> tuple[dict[str, bytes], list[str]]:
    refused: list[str] = []
    out: dict[str, bytes] = {}
    total = 0
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        return {}, [f"{path.name} is not a readable zip archive ({type(exc).__name__})"]
    with zf:
        members = [m for m in zf.infolist()[:MAX_MEMBERS] if not m.is_dir() and _wanted(lab, m.filename)]
        members.sort(key=lambda m: (m.filename.count("/"), m.filename))
        for m in members:
            name = Path(m.filename).name
            if name in out:
                continue
            if m.flag_bits & 0x1:
                refused.append(f"{m.filename} is encrypted")
                continue
            if stat.S_ISLNK(m.external_attr >> 16):
                refused.append(f"{m.filename} is a symbolic link (not followed)")
                continue
            data, why = _inflate(zf, m, min(MAX_ANSWER_BYTES, MAX_INFLATED_TOTAL - total))
            if why:
                refused.append(why)
                continue
            out[name] = data
            total += len(data)
    return out, refused


def _inflate(zf: zipfile.ZipFile, m: zipfile.ZipInfo, cap: int) -> tuple[bytes | None, str | None]:
    """One member, inflated in chunks, stopping past `cap` whatever its header claims."""
    if m.file_size > cap:
        return None, f"{m.filename} is larger than {cap // 1_000_000} MB inflated"
    chunks, size = [], 0
    try:
        with zf.open(m) as f:
            while chunk := f.read(1 << 16):
                size += len(chunk)
                if size > cap:
                    return None, f"{m.filename} inflates past {cap // 1_000_000} MB"
                chunks.append(chunk)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, ValueError, EOFError) as exc:
        return None, f"{m.filename} cannot be inflated ({type(exc).__name__}: {str(exc)[:80]})"
    except Exception as exc:  # noqa: BLE001  (zlib.error and friends: a corrupt member is a reason)
        return None, f"{m.filename} cannot be inflated ({type(exc).__name__})"
    return b"".join(chunks), None


def _by_symbols(lab: Lab, sub: Submission, answer: str, candidates: dict[str, bytes]) -> bytes | None:
    """The one .py file of an upload that defines the answer's names (a learner who named it otherwise), or None."""
    if len(candidates) == 1:
        return next(iter(candidates.values()))
    wanted = {s for q in lab.questions if q.file == answer for s in q.symbols}
    scored = sorted(((len(wanted & _top_level_names(d.decode("utf-8", "replace"))), n) for n, d in candidates.items()),
                    reverse=True)
    if not scored or scored[0][0] == 0 or len(scored) > 1 and scored[1][0] == scored[0][0]:
        return None
    sub.warnings.append(f"no {answer}: graded {scored[0][1]}, which defines the most of its names")
    sub.used[answer] = scored[0][1]
    return candidates[scored[0][1]]


def _pick(lab: Lab, sub: Submission, answer: str, files: dict[str, bytes], stubs: dict[str, str]) -> None:
    stem = Path(answer).stem
    single = len(lab.answer_files) == 1
    py = files.get(answer)
    if py is None and single:
        py = _by_symbols(lab, sub, answer, {n: d for n, d in files.items() if n.endswith(".py")})
    nb_name = f"{stem}.ipynb" if f"{stem}.ipynb" in files else None
    if nb_name is None and single:
        nbs = [n for n in files if n.endswith(".ipynb")]
        nb_name = nbs[0] if len(nbs) == 1 else None
    py_text = py.decode("utf-8", errors="replace") if py is not None else None
    # A learner who answered in the notebook often leaves the untouched .py stub beside it.
    py_untouched = py_text is not None and stubs.get(answer) == py_text
    if py_text is not None and not (py_untouched and nb_name):
        sub.sources[answer] = py_text
        sub.used.setdefault(answer, answer)
        return
    if nb_name:
        try:
            sub.sources[answer] = notebook.answer_module(notebook.read(files[nb_name]))
            sub.used[answer] = nb_name
        except notebook.NotebookError as exc:
            sub.problems[answer] = f"{nb_name}: {exc}"
        return
    sub.problems[answer] = f"no {answer} (or {stem}.ipynb) found in the submission"
