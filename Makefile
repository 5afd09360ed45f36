# Convenience targets; each is one script that also installs what it needs.
.PHONY: demo test bench bench-quick
demo:
	scripts/demo.sh
test:
	scripts/test.sh
# The side-by-side benchmark table (about 30 minutes on 2 cores; see docs/performance.md).
bench:
	scripts/bench.sh
# Smaller sizes, 3 runs: about 2 minutes.
bench-quick:
	scripts/bench.sh --quick
