# Marquee: one non-recursive Makefile for the whole suite.
#
#   make                       release build in build/release/ (binaries in build/release/bin/)
#   make SANITIZER=address,undefined   sanitized build in build/san/
#   make run                   bootstrap, build, start PostgreSQL (unless DATABASE_URL) and all daemons
#   make test                  bootstrap, sanitized build, unit + proto + integration tests, fuzz
#   make fuzz                  libFuzzer targets in build/fuzz/ (clang)
#   make proto                 regenerate proto/gen and tests/proto from proto/*.toml
#   make check-style           clang-format and the banned-function list
#   make bench                 benchmarks (tests/bench/): ours beside the reference clients
#   V=1                        show the commands
#
# Sources are found by directory: common/*.c and proto/gen/*.c -> libcm.a,
# services/<svc>/*.c except main.c -> lib<svc>.a, plus main.c -> bin/<svc>.
# Unit tests: tests/unit/<dir>/<name>_test.c -> one binary each, linked with lib<dir>.a when
# <dir> is a service. Generated proto tests: tests/proto/*_test.c.

SERVICES := gateway auth source-discovery torrent-worker stream-proxy
PKGS     := libevent libevent_pthreads libzmq msgpack libpq libcurl libjwt openssl jansson \
            libargon2

# libjwt before Debian's 1.10.2-1+deb12u1 compares signatures with strcmp, a timing side
# channel (CVE-2024-25189): refuse to build against it (security-and-reliability.md J-14).
LIBJWT_VERSION := $(shell dpkg-query -W -f='$${Version}' libjwt-dev 2>/dev/null)
ifneq ($(LIBJWT_VERSION),)
  ifneq ($(shell dpkg --compare-versions '$(LIBJWT_VERSION)' ge '1.10.2-1+deb12u1' && echo ok),ok)
    $(error libjwt-dev $(LIBJWT_VERSION) is older than 1.10.2-1+deb12u1 (CVE-2024-25189); upgrade it: apt-get install --only-upgrade libjwt-dev libjwt0)
  endif
endif

SANITIZER ?=
FUZZ      ?=
ifneq ($(FUZZ),)
  VARIANT := fuzz
  CC      := clang
  SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
else ifneq ($(SANITIZER),)
  VARIANT := san
  SANFLAGS := -fsanitize=$(SANITIZER) -fno-sanitize-recover=all
else
  VARIANT := release
  SANFLAGS :=
endif
B := build/$(VARIANT)

ifeq ($(V),1)
  Q :=
else
  Q := @
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

OPT      ?= -O2
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
            -Wno-format-nonliteral -Werror
CFLAGS   := -std=c11 -D_GNU_SOURCE $(OPT) -g -fno-omit-frame-pointer $(WARN) $(SANFLAGS) \
            -Icommon -Iproto/gen $(addprefix -Iservices/,$(SERVICES)) $(PKG_CFLAGS) \
            $(EXTRA_CFLAGS)
LDFLAGS  := $(SANFLAGS) $(EXTRA_LDFLAGS)
LDLIBS   := $(PKG_LIBS) -lpthread -lm

# --- sources --------------------------------------------------------------------------

CM_SRC    := $(sort $(wildcard common/*.c))
PROTO_SRC := $(sort $(wildcard proto/gen/*.c))
CM_LIB    := $(B)/lib/libcm.a
PROTO_LIB := $(CM_LIB)

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

# svc_src(svc): the service's modules, without main.c; svc_sql: its migrations, embedded into
# the binary as <svc>_migrations[] (dashes become underscores) by scripts/embed-sql.py.
svc_src  = $(filter-out services/$(1)/main.c,$(sort $(wildcard services/$(1)/*.c)))
svc_sql  = $(sort $(wildcard services/$(1)/sql/*.sql))
svc_gen  = $(if $(call svc_sql,$(1)),$(B)/gen/$(subst -,_,$(1))_migrations.o)
svc_objs = $(call obj,$(call svc_src,$(1))) $(call svc_gen,$(1))
svc_lib  = $(B)/lib/lib$(1).a

BINS := $(addprefix $(B)/bin/,$(SERVICES))

UNIT_SRC  := $(sort $(wildcard tests/unit/*/*_test.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/unit/%,$(UNIT_SRC))
PROTO_TEST_SRC  := $(sort $(wildcard tests/proto/*_test.c))
PROTO_TEST_BINS := $(patsubst tests/proto/%.c,$(B)/tests/proto/%,$(PROTO_TEST_SRC))
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build/fuzz/fuzz/%,$(FUZZ_SRC))

ALL_SVC_LIBS := $(foreach s,$(SERVICES),$(if $(strip $(call svc_objs,$(s))),$(call svc_lib,$(s))))

# --- top-level targets ----------------------------------------------------------------

.PHONY: all tests-bin run test bench test-unit test-integration test-fuzz fuzz fuzz-bins proto \
        proto-golden check-proto check-style bootstrap clean

all: $(BINS)

tests-bin: $(UNIT_BINS) $(PROTO_TEST_BINS)

bootstrap:
	$(Q)scripts/bootstrap.sh

run: bootstrap
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/run.sh build/release/bin

# The test suite runs against a sanitized build (ASan + UBSan), as CI does.
TEST_SANITIZER ?= address,undefined
test: bootstrap
	$(Q)$(MAKE) --no-print-directory SANITIZER=$(TEST_SANITIZER) all tests-bin
	$(Q)$(MAKE) --no-print-directory FUZZ=1 fuzz-bins
	$(Q)scripts/test.sh build/san

test-unit:
	$(Q)$(MAKE) --no-print-directory SANITIZER=$(TEST_SANITIZER) all tests-bin
	$(Q)scripts/test.sh build/san unit

test-integration:
	$(Q)$(MAKE) --no-print-directory SANITIZER=$(TEST_SANITIZER) all
	$(Q)scripts/test.sh build/san integration

fuzz:
	$(Q)$(MAKE) --no-print-directory FUZZ=1 fuzz-bins

test-fuzz: fuzz
	$(Q)scripts/test.sh build/san fuzz

fuzz-bins: $(FUZZ_BINS)

# Benchmarks print our figures beside the peers' from the same run; never part of `make test`.
bench: bootstrap
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/bench/run.sh

proto:
	$(Q)python3 proto/protogen.py

proto-golden:
	$(Q)python3 proto/protogen.py --golden

check-proto:
	$(Q)python3 proto/protogen.py --check

check-style:
	$(Q)scripts/check-style.sh

clean:
	rm -rf build

# --- rules ----------------------------------------------------------------------------

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# The generated codecs live in libcm.a too: cm_rpc speaks common.ERROR/PING/PONG, and the
# codecs use cm_mp, so one archive avoids a circular link order.
$(CM_LIB): $(call obj,$(CM_SRC)) $(call obj,$(PROTO_SRC))
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/gen/%.o: $(B)/gen/%.c
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

define SERVICE_RULES
-include services/$(1)/module.mk
$(B)/gen/$(subst -,_,$(1))_migrations.c: $(call svc_sql,$(1)) scripts/embed-sql.py
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  EMBED   $$@")
	$$(Q)python3 scripts/embed-sql.py $(subst -,_,$(1))_migrations $$@ $(call svc_sql,$(1))

$(call svc_lib,$(1)): $(call svc_objs,$(1))
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  AR      $$@")
	$$(Q)rm -f $$@ && ar rcs $$@ $$^

$(B)/bin/$(1): $(call obj,services/$(1)/main.c) $(if $(strip $(call svc_objs,$(1))),$(call svc_lib,$(1))) \
               $(PROTO_LIB) $(CM_LIB)
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  LINK    $$@")
	$$(Q)$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach s,$(SERVICES),$(eval $(call SERVICE_RULES,$(s))))

# Unit tests of common/ link libcm; those of a service also link that service's library.
unit_libs = $(if $(filter $(1),$(SERVICES)),$(if $(strip $(call svc_objs,$(1))),$(call svc_lib,$(1)))) \
            $(PROTO_LIB) $(CM_LIB)

$(B)/tests/unit/%: $(B)/obj/tests/unit/%.o $(PROTO_LIB) $(CM_LIB) $(ALL_SVC_LIBS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(call unit_libs,$(firstword $(subst /, ,$*))) $(LDLIBS)

$(B)/tests/proto/%: $(B)/obj/tests/proto/%.o $(PROTO_LIB) $(CM_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Fuzz targets link every library; the linker keeps what the target uses.
build/fuzz/fuzz/%: build/fuzz/obj/tests/fuzz/%.o $(ALL_SVC_LIBS) $(PROTO_LIB) $(CM_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)

-include $(shell find build/$(VARIANT)/obj -name '*.d' 2>/dev/null)
