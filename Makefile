# rtml: real-time ML inference as Unix filters.
SWIFT   ?= swift
PREFIX  ?= /usr/local
SECONDS ?= 60
RELEASE := .build/release/rtml

.PHONY: all build deps demo test bench man install fuzz clean

all: build

deps:
	@scripts/ensure-deps.sh

build: deps
	$(SWIFT) build -c release --product rtml

demo: build
	@scripts/demo.sh $(RELEASE)

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: build
	@scripts/ensure-deps.sh jq bc time
	@Benchmarks/run.sh $(RELEASE)

man:
	$(SWIFT) package plugin --allow-writing-to-package-directory generate-manual --multi-page --output-directory man rtml 2>/dev/null || \
	  scripts/generate-man.sh

install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(RELEASE) $(DESTDIR)$(PREFIX)/bin/rtml
	install -m 644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/

fuzz: deps
	@Fuzz/run.sh $(SECONDS)

clean:
	rm -rf .build .build-*
