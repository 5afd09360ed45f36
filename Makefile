# Convenience targets; each is one script that also installs what it needs.
.PHONY: demo test bench bench-quick
demo:
	scripts/demo.sh
test:
	scripts/test.sh
# The side-by-side benchmark table (about 35 minutes on 2 cores; see docs/performance.md).
bench:
	scripts/bench.sh
# Smaller sizes, 3 runs: a few minutes.
bench-quick:
	scripts/bench.sh --quick
