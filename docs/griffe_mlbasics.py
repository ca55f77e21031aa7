"""Griffe extension (mkdocs.yml, mkdocstrings ``extensions:``) for the API reference.

Two things the static reading of the sources cannot do on its own:

* ``mlbasics.kernels`` makes its functions at import time, one per contract method. They are
  added here from the contract classes that :class:`mlbasics.backends.Backend` combines (in the
  same order, which is the order of ``KERNELS``), with the method's signature without ``self``,
  the keyword-only ``backend="auto"`` and the method's docstring.
* The docstrings are numpydoc and keep a few reStructuredText habits that ``help()`` readers are
  used to; for the site, ``.. math::`` blocks and ``:math:`` roles become MathJax, cross-reference
  roles such as ``:func:`~mlbasics.get_backend``` become code spans and a paragraph's closing
  ``::`` a colon.

Nothing here changes the package; the docstrings in the sources stay as they are.
"""
from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:func|class|mod|meth|attr|data|exc|obj|const):`(~?)([^`]+)`")
_INLINE_MATH = re.compile(r":math:`([^`]+)`")
_MATH = re.compile(r"^(\s*)\.\. math::\s*(.*)$")


def _role(match: re.Match) -> str:
    tilde, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if tilde else target}`"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def rst_to_markdown(text: str) -> str:
    """The docstring ``text`` with the reStructuredText constructs above made Markdown."""
    text = _INLINE_MATH.sub(lambda m: f"${m.group(1)}$", _ROLE.sub(_role, text))
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        match = _MATH.match(lines[i])
        if not match:
            line = lines[i]
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if line.endswith("::") and not line.strip() == "::" and nxt.strip() == "":
                line = line[:-1]  # "text::" introduces a literal block: "text:"
            out.append(line)
            i += 1
            continue
        indent, first = match.group(1), match.group(2).strip()
        body = [first] if first else []
        i += 1
        while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > len(indent)):
            body.append(lines[i].strip())
            i += 1
        while body and not body[-1]:
            body.pop()
            i -= 1
        math = [b for b in body if b]
        if any("&" in b for b in math):
            math = [r"\begin{aligned}", *math, r"\end{aligned}"]
        if out and out[-1].strip():
            out.append("")
        out.extend([f"{indent}$$", *(indent + m for m in math), f"{indent}$$"])
        if i < len(lines) and lines[i].strip():
            out.append("")
    return "\n".join(out)


def _convert_docstrings(obj: Any, seen: set[int]) -> None:
    if id(obj) in seen or obj.is_alias:
        return
    seen.add(id(obj))
    if obj.docstring is not None:
        obj.docstring.value = rst_to_markdown(obj.docstring.value)
    for member in obj.members.values():
        _convert_docstrings(member, seen)


def _add_kernels(pkg: griffe.Module) -> None:
    kernels = pkg["kernels"]
    backend = pkg["backends._contract.Backend"]
    names: list[str] = []
    for family in backend.resolved_bases:
        for name, method in family.members.items():
            if name.startswith("_") or not method.is_function:
                continue
            params = list(method.parameters)[1:]  # without self
            params.append(griffe.Parameter("backend", kind=griffe.ParameterKind.keyword_only,
                                           default="'auto'"))
            function = griffe.Function(name, lineno=method.lineno, endlineno=method.endlineno,
                                       parameters=griffe.Parameters(*params), returns=method.returns)
            if method.docstring is not None:
                function.docstring = griffe.Docstring(method.docstring.value, parent=function,
                                                      parser=method.docstring.parser,
                                                      parser_options=method.docstring.parser_options)
            kernels.set_member(name, function)
            names.append(name)
    kernels.exports = names


class MlbasicsDocs(griffe.Extension):
    """Adds the kernel functions and converts the docstrings once the package is loaded."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        if pkg.name == "mlbasics" and not getattr(pkg, "_mlbasics_docs", False):
            pkg._mlbasics_docs = True  # once, whichever of the two events below came first
            _add_kernels(pkg)
            _convert_docstrings(pkg, set())

    def on_package_loaded(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """The same event under its name in Griffe 1.x."""
        self.on_package(pkg=pkg, **kwargs)
