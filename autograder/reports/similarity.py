"""Similarity of answer code between submissions (`labkit similarity LAB SUBMISSIONS...`), in the spirit of MOSS.

1. Each answer file is cut into units: every top-level function, every method, and the rest of the module.
   Fingerprints never span two units, so reordering functions or methods changes nothing.
2. Each unit becomes a stream of normalized tokens: identifiers -> V (attribute names and builtins kept, so
   `np.exp` still differs from `np.log`), numbers -> N, strings -> S; comments, blank lines and line breaks
   inside brackets, statement breaks, indentation and parentheses are dropped. Renaming, new literals and reformatting
   change nothing.
3. k-grams of that stream are hashed and winnowed (the minimum hash of each window of w k-grams; Schleimer,
   Wilkerson and Aiken 2003): any shared run of k + w - 1 tokens is guaranteed to share a fingerprint.
4. Every k-gram of the lab's own stubs (signatures, docstrings, imports) is removed, so the code every
   student received is never evidence.
5. A pair's score is the mean of the two containments |A and B| / |A| and |A and B| / |B|.
"""
from __future__ import annotations

import ast
import builtins
import hashlib
import io
import keyword
import textwrap
import tokenize
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

import click

from ..atomic import write_text
from ..threadsafe import AST_LOCK
from .feedback_html import esc, page, table

K, W = 7, 4  # tokens per k-gram, k-grams per window: any common run of 10 normalized tokens is found
_KEEP = set(dir(builtins)) | {"self", "cls"}


@dataclass
class Unit:
    file: str
    name: str
    first: int  # first and last line in the file, 1-based
    lines: list[str]
    tokens: list[tuple[str, int]] = field(default_factory=list)  # (normalized token, line in the file)


@dataclass
class Prints:
    """A submission's fingerprints: hash -> where it occurs (unit index, first line, last line)."""
    student: str
    units: list[Unit]
    hashes: dict[int, list[tuple[int, int, int]]]


def units_of(file: str, source: str) -> list[Unit]:
    """Functions, methods and the module's remaining lines, each with its normalized tokens."""
    lines = source.splitlines()
    try:
        with AST_LOCK:
            tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return [_tokens(Unit(file, "<module>", 1, lines))]
    spans: list[tuple[str, int, int]] = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            methods = [m for m in node.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
            spans += [(f"{node.name}.{m.name}", m.lineno, m.end_lineno) for m in methods]
            header_end = methods[0].lineno - 1 if methods else node.end_lineno
            spans.append((node.name, node.lineno, header_end))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            spans.append((node.name, node.lineno, node.end_lineno))
    taken = {i for _, a, b in spans for i in range(a, b + 1)}
    out = [_tokens(Unit(file, name, a, lines[a - 1:b])) for name, a, b in spans]
    rest = [line if i + 1 not in taken else "" for i, line in enumerate(lines)]
    out.append(_tokens(Unit(file, "<module>", 1, rest)))
    return out


def _tokens(unit: Unit) -> Unit:
    text = textwrap.dedent("\n".join(unit.lines)) + "\n"
    prev = ""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            kind, s = tok.type, tok.string
            if kind in _LAYOUT or s in ("(", ")"):  # redundant parentheses are layout too: `return (a, b)`, `(x) * 2`
                continue
            if kind == tokenize.NAME:
                norm = s if keyword.iskeyword(s) or s in _KEEP or prev == "." else "V"
            elif kind == tokenize.NUMBER:
                norm = "N"
            elif kind == tokenize.STRING or kind in _FSTRING:
                norm = "S"
            else:
                norm = s
            if norm == "S" and prev == "S":  # f-string pieces and implicit concatenation: one string
                continue
            unit.tokens.append((norm, unit.first + tok.start[0] - 1))
            prev = norm
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return unit


# statement breaks and indentation carry layout, not logic (`if x: return` on one line or two)
_LAYOUT = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING,
           tokenize.ENDMARKER}
_FSTRING = {getattr(tokenize, n) for n in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END") if hasattr(tokenize, n)}


def _hash(gram: tuple[str, ...]) -> int:
    return int.from_bytes(hashlib.blake2b("\x1f".join(gram).encode(), digest_size=8).digest(), "big")


def kgrams(unit: Unit, k: int = K) -> list[tuple[int, int, int]]:
    """(hash, first line, last line) of every k-gram of the unit."""
    toks = unit.tokens
    return [(_hash(tuple(t for t, _ in toks[i:i + k])), toks[i][1], toks[i + k - 1][1])
            for i in range(len(toks) - k + 1)]


def winnow(grams: list[tuple[int, int, int]], w: int = W) -> list[tuple[int, int, int]]:
    """The rightmost minimal hash of each window of w k-grams, each position once."""
    if len(grams) <= w:
        return grams[:1] and [min(grams, key=lambda g: g[0])]
    picked, last = [], -1
    for start in range(len(grams) - w + 1):
        window = grams[start:start + w]
        best = min(range(w), key=lambda i: (window[i][0], -i))
        if start + best != last:
            picked.append(window[best])
            last = start + best
    return picked


def stub_hashes(stubs: dict[str, str]) -> set[int]:
    """Every k-gram of the code students received: never counted as evidence."""
    return {h for f, src in stubs.items() for u in units_of(f, src) for h, _, _ in kgrams(u)}


def fingerprint(student: str, sources: dict[str, str], exclude: set[int] = frozenset()) -> Prints:
    units = [u for f in sorted(sources) for u in units_of(f, sources[f])]
    hashes: dict[int, list[tuple[int, int, int]]] = {}
    for i, u in enumerate(units):
        for h, a, b in winnow(kgrams(u)):
            if h not in exclude:
                hashes.setdefault(h, []).append((i, a, b))
    return Prints(student, units, hashes)


@dataclass
class Match:
    a: Prints
    b: Prints
    shared: set[int]

    @property
    def containment(self) -> tuple[float, float]:
        return (len(self.shared) / len(self.a.hashes) if self.a.hashes else 0.0,
                len(self.shared) / len(self.b.hashes) if self.b.hashes else 0.0)

    @property
    def score(self) -> float:
        return sum(self.containment) / 2

    def unit_pairs(self, minimum: int = 2) -> list[tuple[int, int, int]]:
        """(unit of A, unit of B, shared fingerprints), most shared first: which function matches which."""
        counts: dict[tuple[int, int], int] = {}
        for h in self.shared:
            for ua in {i for i, _, _ in self.a.hashes[h]}:
                for ub in {i for i, _, _ in self.b.hashes[h]}:
                    counts[(ua, ub)] = counts.get((ua, ub), 0) + 1
        return sorted(((a, b, c) for (a, b), c in counts.items() if c >= minimum), key=lambda x: -x[2])

    def lines(self, side: str, unit: int) -> set[int]:
        prints = self.a if side == "a" else self.b
        return {line for h in self.shared for i, x, y in prints.hashes[h] if i == unit for line in range(x, y + 1)}


def compare(a: Prints, b: Prints) -> Match:
    return Match(a, b, set(a.hashes) & set(b.hashes))


def rank(prints: list[Prints]) -> list[Match]:
    return sorted((compare(a, b) for a, b in combinations(prints, 2)), key=lambda m: (-m.score, m.a.student,
                                                                                      m.b.student))


# ---------------------------------------------------------------- loading and HTML
def load_prints(lab, paths: list[Path]) -> list[Prints]:
    from .. import submission
    from ..sources import stub_sources
    stubs = stub_sources(lab)
    exclude = stub_hashes(stubs)
    out = []
    for student, path in submission.discover(lab, paths):
        sub = submission.load(lab, student, path, stubs)
        sources = dict(sub.sources)
        for answer in sub.problems:  # a syntax error does not hide a copy: tokens need no parse
            raw = Path(path) / answer
            if raw.is_file() and raw.stat().st_size < 1 << 20:
                sources[answer] = raw.read_text(errors="replace")
        out.append(fingerprint(student, sources, exclude))
    return out


def _code(unit: Unit, marked: set[int]) -> str:
    rows = []
    for n, line in enumerate(unit.lines, unit.first):
        cls = ' class="hit"' if n in marked else ""
        rows.append(f'<span{cls}><span class="ln">{n:4d}</span> {esc(line)}</span>')
    return "<pre>" + "\n".join(rows) + "</pre>"


_CSS = ("<style>body{max-width:100rem} .pair{display:grid;grid-template-columns:1fr 1fr;gap:.6rem} .pair pre{overflow-x:auto;"
        "background:#fafafa;border:1px solid #e4e7ec;padding:.4rem;margin:0} .hit{background:#ffe08a;display:block}"
        " .ln{color:#98a2b3}</style>")


def render(lab_id: str, matches: list[Match], top: int = 10, threshold: float = 0.5) -> str:
    rows = []
    for i, m in enumerate(matches):
        ca, cb = m.containment
        name = f'<a href="#pair{i}">{esc(m.a.student)} / {esc(m.b.student)}</a>' if i < top else \
            f"{esc(m.a.student)} / {esc(m.b.student)}"
        rows.append([name, f"{m.score:.0%}", f"{ca:.0%}", f"{cb:.0%}", len(m.shared)])
    body = [_CSS, f"<h1>Similarity: lab {esc(lab_id)}</h1>",
            f'<p class="muted">{len(matches)} pairs ranked by the mean share of each submission\'s fingerprints '
            f"found in the other (winnowed {K}-token fingerprints of normalized code, the stubs' code excluded). "
            f"A high score asks for a human look; it proves nothing alone.</p>",
            table(["pair", "score", "of first", "of second", "shared fingerprints"], rows,
                  ["flag" if m.score >= threshold else "" for m in matches])]
    for i, m in enumerate(matches[:top]):
        if not m.shared:
            break
        body.append(f'<h2 id="pair{i}">{esc(m.a.student)} / {esc(m.b.student)}: {m.score:.0%}</h2>')
        for ua, ub, count in m.unit_pairs()[:8]:
            a, b = m.a.units[ua], m.b.units[ub]
            body.append(f'<p class="muted">{esc(a.file)}: <code>{esc(a.name)}</code> ↔ {esc(b.file)}: '
                        f"<code>{esc(b.name)}</code> ({count} shared fingerprints)</p>")
            body.append(f'<div class="pair">{_code(a, m.lines("a", ua))}{_code(b, m.lines("b", ub))}</div>')
    return page(f"{lab_id}: similarity", "\n".join(body))


@click.command("similarity")
@click.argument("lab")
@click.argument("submissions", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The HTML report to write (e.g. grades/similarity.html).")
@click.option("--top", default=10, show_default=True, help="Pairs shown side by side.")
@click.option("--threshold", default=0.5, show_default=True, help="Score at which a pair is flagged.")
def command(lab, submissions, out, top, threshold):
    """Rank pairs of SUBMISSIONS by similarity of their answer code (renaming, reordering and reformatting
    do not hide a copy; the lab's stub code is excluded) and write an HTML report with matching regions."""
    from .exports import lab_argument
    spec = lab_argument(lab)
    prints = load_prints(spec, list(submissions))
    if len(prints) < 2:
        raise click.UsageError("need at least two submissions to compare")
    matches = rank(prints)
    write_text(out, render(spec.id, matches, top, threshold))
    for m in matches[:top]:
        click.echo(f"{m.score:6.1%}  {m.a.student}  {m.b.student}")
    flagged = sum(m.score >= threshold for m in matches)
    click.echo(f"{len(matches)} pairs, {flagged} at or above {threshold:.0%}; wrote {out}")
