# The README's commands. Each installs what is missing first (scripts/bootstrap).
.PHONY: run test bench fuzz build docs clean

run:
	@scripts/run

test:
	@scripts/test

bench:
	@scripts/bench

fuzz:
	@scripts/fuzz

build:
	@scripts/bootstrap && swift build

docs: build
	@$$(swift build --show-bin-path)/switchboard docs

clean:
	rm -rf .build
