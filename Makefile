# SPDX-License-Identifier: GPL-2.0-or-later
# Convenience wrapper around ./vgxl, for machines that have make.

.PHONY: build test run patches

build test run patches:
	./vgxl $@
