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
	@scripts/ensure-deps.sh sqlite3
	@scripts/demo.sh $(RELEASE)

test: deps
	@scripts/ensure-deps.sh sqlite3
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: build
	@scripts/ensure-deps.sh jq bc time g++ libsimdjson-dev sqlite3 sqlite3-tools
	@Benchmarks/run.sh $(RELEASE)

man:
	$(SWIFT) package plugin generate-manual --multi-page
	rm -f man/*.1
	for page in .build/plugins/GenerateManual/outputs/rtml/*.1; do \
	  name=$$(basename $$page | sed 's/^rtml\.\(.*\)\.1$$/rtml-\1.1/'); \
	  [ "$$name" = rtml-help.1 ] || cp $$page man/$$name; \
	done

install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(RELEASE) $(DESTDIR)$(PREFIX)/bin/rtml
	install -m 644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/

fuzz: deps
	@Fuzz/run.sh $(SECONDS)

clean:
	rm -rf .build .build-*
