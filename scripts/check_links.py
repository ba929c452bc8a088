#!/usr/bin/env python3
"""check_links.py [FILE.md...] - every relative link in the README and the
guide (docs/*.md by default) leads somewhere: the file exists, and a
#fragment names a heading there (GitHub's anchors). Web links are not
fetched. Prints each broken link with its file and line; exits 1 if any.
make lint runs it."""

import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCE = re.compile(r"^\s*```")


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped,
    spaces to hyphens."""
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def outside_code(lines):
    """(line number, line) for the lines outside fenced code blocks."""
    fenced = False
    for n, line in enumerate(lines, 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield n, line


def anchors(path):
    with open(path) as f:
        lines = f.read().splitlines()
    seen = {}
    for _, line in outside_code(lines):
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m:
            s = slug(m.group(1))
            count = seen.get(s, 0)
            seen[s] = count + 1
            if count:
                seen[f"{s}-{count}"] = 1
    return set(seen)


def broken_links(path):
    with open(path) as f:
        lines = f.read().splitlines()
    here = os.path.dirname(path)
    for n, line in outside_code(lines):
        for target in LINK.findall(line):
            if re.match(r"^[a-z]+:", target):
                continue  # https:, mailto: ...
            file, _, fragment = target.partition("#")
            dest = os.path.normpath(os.path.join(here, file)) if file else path
            if not os.path.exists(dest):
                yield n, target, "no such file"
            elif fragment and dest.endswith(".md") and fragment not in anchors(dest):
                yield n, target, f"no heading #{fragment} in {os.path.relpath(dest, REPO)}"


def main(argv):
    files = argv or [os.path.join(REPO, "README.md")] + sorted(
        os.path.join(REPO, "docs", f) for f in os.listdir(os.path.join(REPO, "docs")) if f.endswith(".md"))
    bad = 0
    for path in files:
        for n, target, why in broken_links(os.path.abspath(path)):
            print(f"{os.path.relpath(path, REPO)}:{n}: ({target}): {why}")
            bad += 1
    if bad:
        print(f"check_links: {bad} broken link(s)")
        return 1
    print(f"check_links: every link in {len(files)} file(s) leads somewhere")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
