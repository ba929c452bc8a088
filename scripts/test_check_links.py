"""Unit tests of scripts/check_links.py (make lint runs them)."""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_links import broken_links, slug  # noqa: E402


class Slug(unittest.TestCase):
    def test_githubs_anchors(self):
        self.assertEqual(slug("l2_load: the echo checked at DPDK speed"), "l2_load-the-echo-checked-at-dpdk-speed")
        self.assertEqual(slug("`--mode icmp`: ping answered from user space"),
                         "--mode-icmp-ping-answered-from-user-space")
        self.assertEqual(slug("On an ARM64 VM (the original's setup: UTM on Apple silicon)"),
                         "on-an-arm64-vm-the-originals-setup-utm-on-apple-silicon")


class BrokenLinks(unittest.TestCase):
    def check(self, pages):
        with tempfile.TemporaryDirectory() as d:
            for name, text in pages.items():
                os.makedirs(os.path.dirname(os.path.join(d, name)), exist_ok=True)
                with open(os.path.join(d, name), "w") as f:
                    f.write(text)
            return [(n, target) for n, target, _ in broken_links(os.path.join(d, "README.md"))]

    def test_a_link_to_a_heading_elsewhere_holds(self):
        pages = {"README.md": "# A\nsee [b](docs/b.md#the-b-part) and [a](#a)\n",
                 "docs/b.md": "# B\n## The B part\n"}
        self.assertEqual(self.check(pages), [])

    def test_a_missing_file_or_heading_is_found(self):
        pages = {"README.md": "# A\n[x](docs/none.md)\n[y](docs/b.md#gone)\n[z](#nowhere)\n",
                 "docs/b.md": "# B\n"}
        self.assertEqual(self.check(pages), [(2, "docs/none.md"), (3, "docs/b.md#gone"), (4, "#nowhere")])

    def test_web_links_and_code_blocks_are_left_alone(self):
        pages = {"README.md": "# A\n[w](https://example.org/x#y)\n```\n[c](nowhere.md)\n```\n"}
        self.assertEqual(self.check(pages), [])


if __name__ == "__main__":
    unittest.main()
