#!/usr/bin/env python3
"""Every C++ snippet of the docs and every header's `Example:` is code the tests compile.

A snippet counts as compiled when its lines stand, in order and one after the other, in a
program the build compiles (examples/, tests/): lines are compared without their indentation,
trailing `//` comments and blank lines, so a snippet may carry comments of its own. Snippets
not yet in a program are listed in tests/snippets/not_compiled.txt, one `file: first line` a
line; the check fails for a snippet that is in neither, and for a listed one that a program now
holds (drop it from the list).

    scripts/check_snippets.py [ROOT]        ROOT: the repository (default: this script's parent)
Prints one line per problem and exits 1 if there is any; ctest runs it (test `doc_snippets`).
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)


def normalised(lines):
    out = []
    for line in lines:
        line = re.sub(r"\s+//(?!/).*$", "", line).strip()  # a trailing comment, not a URL in a string
        if line.startswith("//") or line.startswith("#include"):  # a program has its own includes
            line = ""
        line = re.sub(r"\s+", " ", line)
        if line:
            out.append(line)
    return out


def doc_snippets():
    for md in sorted([root / "README.md", *(root / "docs").rglob("*.md")]):
        text = md.read_text(encoding="utf-8")
        for m in re.finditer(r"^```cpp\n(.*?)^```", text, re.S | re.M):
            yield md, m.group(1).splitlines()


def header_examples():
    for hpp in sorted((root / "include").rglob("*.hpp")):
        lines = hpp.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if re.match(r"^\s*//+\s*Example:\s*$", line):
                block = []
                for follow in lines[i + 1:]:
                    m = re.match(r"^\s*//+(\s{2,}.*)$", follow)
                    if not m:
                        break
                    block.append(m.group(1))
                if block:
                    yield hpp, block


def contains(haystack, needle):
    n = len(needle)
    return any(haystack[i:i + n] == needle for i in range(len(haystack) - n + 1))


programs = [normalised(p.read_text(encoding="utf-8").splitlines())
            for folder in ("examples", "tests") for p in sorted((root / folder).rglob("*.cpp"))]
listed_file = root / "tests" / "snippets" / "not_compiled.txt"
listed = {line.strip() for line in listed_file.read_text(encoding="utf-8").splitlines()
          if line.strip() and not line.startswith("#")}

problems, seen, compiled = [], set(), 0
for path, block in [*doc_snippets(), *header_examples()]:
    code = normalised(block)
    if not code:
        continue
    key = f"{path.relative_to(root)}: {code[0]}"
    seen.add(key)
    found = any(contains(p, code) for p in programs)
    compiled += found
    if found and key in listed:
        problems.append(f"{key}\n  is compiled now (a program holds it): drop it from {listed_file.relative_to(root)}")
    elif not found and key not in listed:
        problems.append(f"{key}\n  is in no program the tests build: put it, line for line, into an example or a test "
                        "(examples/, tests/), or fix it where it differs")
for key in sorted(listed - seen):
    problems.append(f"{listed_file.relative_to(root)}: '{key}' names no snippet any more: drop the line")

print(f"check_snippets: {compiled} of {len(seen)} snippets compiled by the tests, {len(listed & seen)} listed as not yet")
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
