# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# jobtrace build: BPF objects -> skeletons -> user space, plus tests and benchmarks.
# `make V=1` shows full commands.

OUTPUT ?= .output
CLANG ?= clang
BPFTOOL ?= bpftool
LLVM_STRIP ?= llvm-strip
CC ?= cc
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
# Where the library, its pkg-config file and the SPANK plugin go; Debian's
# multiarch layout on amd64 is LIBDIR=$(PREFIX)/lib/x86_64-linux-gnu. The
# unit stays under $(PREFIX)/lib: systemd looks for units there, not in an
# architecture's directory.
LIBDIR ?= $(PREFIX)/lib
UNITDIR ?= $(PREFIX)/lib/systemd/system
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/jobtrace
# The JSON Schemas of every record and output (schema/), beside the man pages.
SCHEMADIR ?= $(PREFIX)/share/jobtrace/schema
SCHEMAS := $(wildcard schema/*.schema.json)

ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' \
	-e 's/ppc64le/powerpc/' -e 's/mips.*/mips/' -e 's/riscv64/riscv/' -e 's/s390x/s390/')

# Debian packages the build, the tests and the benchmarks need.
DEPS_PKGS := clang llvm libbpf-dev bpftool libcmocka-dev libelf-dev zlib1g-dev libzstd-dev zstd \
	pkg-config libjansson-dev valgrind python3 python3-psutil python3-jsonschema procps \
	util-linux iproute2 \
	atop libncurses-dev libmicrohttpd-dev tmux htop librsvg2-bin prometheus libcap2-bin \
	libslurm-dev slurmctld slurmd slurm-client munge slurmdbd mariadb-server \
	prometheus-process-exporter \
	man-db groff-base g++ systemd strace

# Root installs packages itself; anyone else through sudo. As root, no
# command names sudo (`make -n` shows none): a root shell may have no sudo.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

# These load BPF programs, which needs root. Say so before building rather
# than as a kernel test's failure (or sudo's prompt) deep in the run.
ROOT_GOALS := $(filter test test-kernel test-kernel-san test-no-bpf demo bench bench-startup,$(MAKECMDGOALS))
ifneq ($(SUDO),)
ifneq ($(ROOT_GOALS),)
$(error jobtrace: 'make $(ROOT_GOALS)' loads BPF programs, which needs root: run 'sudo make $(ROOT_GOALS)', or 'make test-unit' for the unit tests alone (no root needed))
endif
endif

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wvla -Wundef -Wno-unused-parameter
CFLAGS ?= -O2 -g
# -MMD: each object's own headers (a .d beside it), so a changed header
# rebuilds exactly its users; -MP: a header removed is not an error. Objects
# also depend on this Makefile: its flags are theirs.
DEPFLAGS := -MMD -MP
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(CFLAGS) $(WARNINGS) -Iinclude -I$(OUTPUT) $(DEPFLAGS)
# ncurses draws top (terminfo, resizes, no escape codes by hand), and
# libmicrohttpd serves /metrics from the collector's own epoll loop
# (MHD_USE_EPOLL, no thread). Neither is linked: user/out/sink_top.c and
# user/out/metrics_http.c open them when a screen or a listener starts, so
# the commands that use neither do not map them (libmicrohttpd's TLS
# dependencies are 2.3 MiB of RSS, ncurses and terminfo 0.26).
LDLIBS := -lbpf -lelf -lz -lzstd -lm
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-Iinclude -I$(OUTPUT) -mcpu=v3 $(DEPFLAGS)
# BPF_PROFILE=1: the lineage programs time their steps (bpf/profile.bpf.h);
# build it into an OUTPUT of its own, as tests/bench_bpf_split.sh does.
ifneq ($(BPF_PROFILE),)
BPF_CFLAGS += -DJT_BPF_PROFILE
endif
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_SRCS := $(wildcard bpf/*.bpf.c)
COMPAT_BPF := lineage snapshot
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS)) \
	$(patsubst %,$(OUTPUT)/%_compat.bpf.o,$(COMPAT_BPF))
SKELS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS)) \
	$(patsubst %,$(OUTPUT)/%_compat.skel.h,$(COMPAT_BPF))
# user/lib: helpers; user/proc, user/sys: pure parsers of /proc and /sys;
# user/bpf: loaders of bpf/*.bpf.c; user/collect: jobs and the collector;
# user/out: sinks (report writers); user/cmd: the command-line fronts.
USER_SRCS := $(wildcard user/*/*.c)
LIB_SRCS := $(filter-out user/cmd/main.c,$(USER_SRCS))
LIB_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(LIB_SRCS))
SAN_LIB_OBJS := $(patsubst user/%.c,$(OUTPUT)/san/user/%.o,$(LIB_SRCS))

# lib/: libjobtrace, the stream's reader for other agents (shared and static,
# position-independent, only its jobtrace_stream_* symbols exported, no libbpf).
LIBJT_SRCS := $(wildcard lib/*.c)
LIBJT_OBJS := $(patsubst lib/%.c,$(OUTPUT)/lib/%.o,$(LIBJT_SRCS))
SAN_LIBJT_OBJS := $(patsubst lib/%.c,$(OUTPUT)/san/lib/%.o,$(LIBJT_SRCS))
LIBJT_SOVERSION := 1
LIBJT_VERSION := 1.0.0
LIBJT_SO := $(OUTPUT)/libjobtrace.so.$(LIBJT_VERSION)
LIBJT_A := $(OUTPUT)/libjobtrace.a
LIBJT_PC := $(OUTPUT)/jobtrace.pc
LIBJT := $(LIBJT_SO) $(LIBJT_A) $(LIBJT_PC) $(OUTPUT)/libjobtrace.check

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
UNIT_SAN_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/san/tests/%,$(UNIT_SRCS))
KERNEL_SRCS := $(wildcard tests/kernel/test_*.c)
KERNEL_BINS := $(patsubst tests/kernel/%.c,$(OUTPUT)/tests/%,$(KERNEL_SRCS))
KERNEL_SAN_BINS := $(patsubst tests/kernel/%.c,$(OUTPUT)/san/tests/%,$(KERNEL_SRCS))
# The kernel tests find jobtrace and its workloads under $OUTPUT: $(OUTPUT)/san
# is such a tree with the ASan+UBSan jobtrace, so the same tests run against it.
SAN_TREE := $(OUTPUT)/san/jobtrace $(OUTPUT)/san/churn $(OUTPUT)/san/pingpong $(OUTPUT)/san/nobpf
TOOLS := $(OUTPUT)/churn $(OUTPUT)/pingpong $(OUTPUT)/nobpf $(OUTPUT)/bpf_floor
# The Slurm SPANK plugin, where Slurm's headers are (Debian's libslurm-dev):
# slurmstepd resolves its slurm_*/spank_* symbols, so nothing is linked.
SPANK_H ?= /usr/include/slurm/spank.h
SPANK_SO := $(if $(wildcard $(SPANK_H)),$(OUTPUT)/jobtrace_spank.so)

.DELETE_ON_ERROR:
.PHONY: all deps demo test test-unit check-includes test-valgrind test-kernel test-kernel-san test-no-bpf bench \
	bench-startup \
	install uninstall \
	clean fuzz

all: $(OUTPUT)/abi.stamp $(OUTPUT)/cxx.stamp $(OUTPUT)/jobtrace $(TOOLS) $(LIBJT) $(SPANK_SO)

# The records both sides share are an ABI: compiled as the BPF side sees them
# (-D__bpf__: the kernel-facing structs alone), no padding the compiler adds
# may hide in them, as quark checks its own shared header.
ABI_HEADERS := include/jobtrace/lineage_abi.h include/jobtrace/snapshot.h include/jobtrace/stream.h
$(OUTPUT)/abi.stamp: $(ABI_HEADERS) | $(OUTPUT)
	$(call msg,ABI,$(ABI_HEADERS))
	$(Q)printf '#include "%s"\n' $(patsubst include/%,%,$(ABI_HEADERS)) | \
		$(CC) -std=gnu11 -D__bpf__ -Iinclude -Wpadded -Werror -fsyntax-only -x c -
	$(Q)touch $@

# C++ agents include our headers too: every header of include/jobtrace
# compiles as C++ (stream.h, the installed one, even under -pedantic), and
# a C++ program links against libjobtrace and runs, which a header without
# extern "C" cannot (its names would be looked up mangled).
CXX_HEADERS := $(wildcard include/jobtrace/*.h)
$(OUTPUT)/cxx.stamp: $(CXX_HEADERS) tests/cxx/consumer.cc $(LIBJT_SO) | $(OUTPUT)
	$(call msg,CXX,$@)
	$(Q)printf '#include "%s"\n' $(patsubst include/%,%,$(CXX_HEADERS)) | \
		$(CXX) -std=c++17 -Iinclude -Wall -Werror -fsyntax-only -x c++ -
	$(Q)$(CXX) -std=c++11 -Iinclude -Wall -Wextra -pedantic -Werror \
		tests/cxx/consumer.cc -L$(OUTPUT) -ljobtrace -o $(OUTPUT)/cxx_consumer
	$(Q)LD_LIBRARY_PATH=$(OUTPUT) $(OUTPUT)/cxx_consumer $(OUTPUT)/no-such.stream
	$(Q)touch $@

# Installs what is missing, once; a no-op on a machine that has it all.
deps:
	$(Q)missing=""; for p in $(DEPS_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || \
			missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(OUTPUT) $(OUTPUT)/tests $(OUTPUT)/san/tests:
	$(Q)mkdir -p $@

$(OUTPUT)/vmlinux.h: | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)test -r $(VMLINUX_BTF) || { echo "jobtrace: $(VMLINUX_BTF) is missing: the kernel has no BTF (CONFIG_DEBUG_INFO_BTF=y is needed); set VMLINUX_BTF to a BTF file" >&2; exit 1; }
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c $(OUTPUT)/vmlinux.h Makefile | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@

# The lineage and snapshot programs once more for kernels before 6.2,
# which have no bpf_rdonly_cast() (bpf/core_fixes.bpf.h, task_ro()): the
# loaders embed both and pick by the kernel's BTF.
$(OUTPUT)/%_compat.bpf.o: bpf/%.bpf.c $(OUTPUT)/vmlinux.h Makefile | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DJT_NO_RDONLY_CAST $(DEPFLAGS) -c $< -o $@

# The skeleton embeds the object without its DWARF (the BTF stays): a
# third of the size, and a third as much for libbpf's open to read and
# page in at every start. The object beside it keeps its DWARF.
#
# After it, a digest of the embedded object (JT_SKEL_DIGEST_<name>): ps names
# its pinned iterators by it, so a pin of another build is never taken for
# its own, without hashing the object's bytes at every start (0.1 ms).
$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)mkdir -p $(OUTPUT)/stripped
	$(Q)$(LLVM_STRIP) -g $< -o $(OUTPUT)/stripped/$*.bpf.o
	$(Q)$(BPFTOOL) gen skeleton $(OUTPUT)/stripped/$*.bpf.o > $@
	$(Q)printf '#define JT_SKEL_DIGEST_%s "%s"\n' $* \
		"$$(sha256sum $(OUTPUT)/stripped/$*.bpf.o | cut -c1-16)" >> $@

$(OUTPUT)/user/%.o: user/%.c Makefile | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(OUTPUT)/san/user/%.o: user/%.c Makefile | $(SKELS)
	$(call msg,CC-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(OUTPUT)/jobtrace: $(OUTPUT)/user/cmd/main.o $(LIB_OBJS) $(LIBJT_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/san/jobtrace: $(OUTPUT)/san/user/cmd/main.o $(SAN_LIB_OBJS) $(SAN_LIBJT_OBJS)
	$(call msg,LINK-SAN,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) $^ $(LDLIBS) -o $@

# The workloads need no sanitizer: they are the ground truth, not the subject.
$(OUTPUT)/san/churn $(OUTPUT)/san/pingpong $(OUTPUT)/san/nobpf: $(OUTPUT)/san/%: $(OUTPUT)/%
	$(Q)ln -sf ../$* $@

$(OUTPUT)/lib/%.o: lib/%.c Makefile
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -c $< -o $@

$(OUTPUT)/san/lib/%.o: lib/%.c Makefile
	$(call msg,CC-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -fPIC -fvisibility=hidden -c $< -o $@

$(LIBJT_SO): $(LIBJT_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -shared -Wl,-soname,libjobtrace.so.$(LIBJT_SOVERSION) \
		-Wl,--no-undefined $^ -o $@
	$(Q)ln -sf $(notdir $@) $(OUTPUT)/libjobtrace.so.$(LIBJT_SOVERSION)
	$(Q)ln -sf $(notdir $@) $(OUTPUT)/libjobtrace.so

$(LIBJT_A): $(LIBJT_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(LIBJT_PC): lib/jobtrace.pc.in Makefile | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@VERSION@|$(LIBJT_VERSION)|' $< > $@

# Agents link libjobtrace without libbpf (or anything beyond libc), and see
# its API alone: fail the build if either stops being so.
$(OUTPUT)/libjobtrace.check: $(LIBJT_SO)
	$(call msg,CHECK,$<)
	$(Q)needed=$$(readelf -d $< | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); \
	for n in $$needed; do case $$n in libc.so.*) ;; \
		*) echo "jobtrace: libjobtrace needs $$n; it must need libc alone" >&2; exit 1;; esac; done
	$(Q)bad=$$(nm -D --defined-only $< | awk '$$2 == "T" && $$3 !~ /^jobtrace_stream_/ {print $$3}'); \
	test -z "$$bad" || { echo "jobtrace: libjobtrace exports $$bad" >&2; exit 1; }
	$(Q)touch $@

$(OUTPUT)/jobtrace_spank.so: slurm/jobtrace_spank.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -shared $< -o $@

$(OUTPUT)/churn: tests/churn.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< -lpthread -o $@

$(OUTPUT)/pingpong: tests/pingpong.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< -o $@

$(OUTPUT)/nobpf: tests/nobpf.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< -o $@

# tests/bench_bpf.sh's floor: an empty sched_switch program measured beside the real ones.
$(OUTPUT)/bpf_floor: tests/bpf_floor.c $(OUTPUT)/floor.skel.h | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< $(LDLIBS) -o $@

# make bench's stream writer and readers: serve's stream sink and libjobtrace as they are.
$(OUTPUT)/bench_stream: tests/bench_stream.c $(LIB_OBJS) $(LIBJT_OBJS) | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< $(LIB_OBJS) $(LIBJT_OBJS) $(LDLIBS) -o $@

# make bench's history writer: serve's history sink on a clock of its own (a day in a minute).
$(OUTPUT)/bench_history: tests/bench_history.c $(LIB_OBJS) $(LIBJT_OBJS) | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< $(LIB_OBJS) $(LIBJT_OBJS) $(LDLIBS) -o $@

# The tests link an archive of the objects: the linker takes only the
# objects a test references (a parser's test gets its parser, not the
# collector), and --as-needed drops the libraries none of them calls (no
# libbpf for a parser's test).
TEST_A := $(OUTPUT)/libjt-test.a
SAN_TEST_A := $(OUTPUT)/san/libjt-test.a
TEST_LDLIBS := -Wl,--as-needed -lcmocka -ljansson $(LDLIBS) -lpthread

$(TEST_A): $(LIB_OBJS) $(LIBJT_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(SAN_TEST_A): $(SAN_LIB_OBJS) $(SAN_LIBJT_OBJS)
	$(call msg,AR,$@)
	$(Q)mkdir -p $(@D)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(OUTPUT)/tests/%: tests/unit/%.c $(TEST_A) tests/unit/testutil.h | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $< $(TEST_A) $(TEST_LDLIBS) -o $@

$(OUTPUT)/san/tests/%: tests/unit/%.c $(SAN_TEST_A) tests/unit/testutil.h | $(OUTPUT)/san/tests
	$(call msg,CC-SAN,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -Itests/unit $< $(SAN_TEST_A) $(TEST_LDLIBS) -o $@

$(OUTPUT)/tests/%: tests/kernel/%.c $(TEST_A) tests/unit/testutil.h tests/kernel/harness.h | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $< $(TEST_A) $(TEST_LDLIBS) -o $@

$(OUTPUT)/san/tests/%: tests/kernel/%.c $(SAN_TEST_A) tests/unit/testutil.h tests/kernel/harness.h | $(OUTPUT)/san/tests
	$(call msg,CC-SAN,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -Itests/unit $< $(SAN_TEST_A) $(TEST_LDLIBS) -o $@

# Unit tests run under ASan+UBSan, then once more under valgrind (plain
# build), then the kernel tests load the real programs, then the untimed
# kernel tests run again, themselves and the jobtrace they run built with
# ASan+UBSan (a leak or UB in a command fails them; `make test-kernel-san`
# runs every kernel test so). tests/run.sh prints one closing "N passed,
# N failed" line over all of them.
# The bench programs are built too, not run: they use the collector's
# structs, and a change to one must not wait for make bench to break them.
# make test builds on every CPU unless a -j was given (CI runs a plain make
# test): the ASan tree and the tests are most of a clean build. A recipe-time
# variable: MAKEFLAGS has the -j only then.
TEST_JOBS = $(if $(filter -j%,$(MAKEFLAGS)),,-j$(shell nproc 2>/dev/null || echo 1))
test: deps check-includes
	$(Q)$(MAKE) $(TEST_JOBS) --no-print-directory all $(UNIT_BINS) $(UNIT_SAN_BINS) $(KERNEL_BINS) \
		$(SAN_TREE) $(KERNEL_SAN_BINS) $(OUTPUT)/bench_stream $(OUTPUT)/bench_history
	$(Q)OUTPUT=$(OUTPUT) tests/run.sh

# Every kernel test as a machine where BPF cannot load runs them (bpf(2)
# refused by seccomp, as in a container): those that need BPF say they did
# not run and why, those that probe the machine pass in the modes it has
# (make test runs the latter so, as its kernel-nobpf part). CI is unset for
# this run alone: it plays another machine.
test-no-bpf: all $(KERNEL_BINS)
	$(Q)echo "make test-no-bpf: the kernel tests with bpf(2) refused (tests/nobpf.c)"
	$(Q)$(OUTPUT)/nobpf env -u CI OUTPUT=$(OUTPUT) tests/run.sh kernel

# The include graph points down only: cmd -> out -> collect -> bpf ->
# proc, sys, lib (a shell script over the sources, well under a second).
check-includes:
	$(Q)tests/check_includes.sh

test-unit: all $(UNIT_SAN_BINS) check-includes
	$(Q)OUTPUT=$(OUTPUT) tests/run.sh unit

test-valgrind: all $(UNIT_BINS)
	$(Q)OUTPUT=$(OUTPUT) tests/run.sh valgrind

test-kernel: all $(KERNEL_BINS)
	$(Q)OUTPUT=$(OUTPUT) tests/run.sh kernel

test-kernel-san: all $(SAN_TREE) $(KERNEL_SAN_BINS)
	$(Q)OUTPUT=$(OUTPUT) SAN_KERNEL_TESTS=$${SAN_KERNEL_TESTS:-all} tests/run.sh kernel-san

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(OUTPUT)/jobtrace run -- $(OUTPUT)/churn --children 5000 --orphans 200 \
		--exec 200 --fail 50 --kill 20 --threads 4 --burn-us 200

bench: deps
	$(Q)$(MAKE) --no-print-directory all $(OUTPUT)/bench_stream $(OUTPUT)/bench_history \
		$(OUTPUT)/bpf_floor
	$(Q)OUTPUT=$(OUTPUT) tests/bench.sh

# Start-up, own CPU per process, ps: alone, and beside an older build's
# binary with BASE=path/to/old/jobtrace (also read by make bench).
bench-startup: all
	$(Q)/usr/bin/python3 tests/bench_startup.py $(OUTPUT)

# man jobtrace: the commands (8); the records (5), the stream (5), the
# metrics (7) and Slurm (8) it points to. Each goes to man<its section>.
MANPAGES := man/jobtrace.8 man/jobtrace-records.5 man/jobtrace-stream.5 \
	man/jobtrace-metrics.7 man/jobtrace-slurm.8

# The config file is the admin's once installed: never overwritten (the
# shipped one goes beside it as jobtrace.conf.dist), and uninstall removes
# it only while it is still the shipped one.
CONF_DIR := $(DESTDIR)$(SYSCONFDIR)/jobtrace
install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(OUTPUT)/jobtrace $(DESTDIR)$(PREFIX)/bin/jobtrace
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(PREFIX)/include/jobtrace $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR) $(CONF_DIR)
	install -m 0755 $(LIBJT_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libjobtrace.so.$(LIBJT_VERSION) $(DESTDIR)$(LIBDIR)/libjobtrace.so.$(LIBJT_SOVERSION)
	ln -sf libjobtrace.so.$(LIBJT_SOVERSION) $(DESTDIR)$(LIBDIR)/libjobtrace.so
	install -m 0644 $(LIBJT_A) $(DESTDIR)$(LIBDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@VERSION@|$(LIBJT_VERSION)|' lib/jobtrace.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/jobtrace.pc
	install -m 0644 include/jobtrace/stream.h $(DESTDIR)$(PREFIX)/include/jobtrace/stream.h
	install -m 0644 lib/libjobtrace.3 $(DESTDIR)$(MANDIR)/man3/libjobtrace.3
	for m in $(MANPAGES); do \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m#man/} || exit 1; \
	done
	install -d $(DESTDIR)$(SCHEMADIR)
	install -m 0644 $(SCHEMAS) $(DESTDIR)$(SCHEMADIR)/
	install -m 0644 LICENSE $(DESTDIR)$(DOCDIR)/LICENSE
	sed -e 's|@BINDIR@|$(PREFIX)/bin|' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|' etc/jobtrace.service.in \
		> $(DESTDIR)$(UNITDIR)/jobtrace.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/jobtrace.service
	if [ -e $(CONF_DIR)/jobtrace.conf ]; then \
		install -m 0644 etc/jobtrace.conf $(CONF_DIR)/jobtrace.conf.dist; \
		echo "jobtrace: kept $(CONF_DIR)/jobtrace.conf; the shipped one is jobtrace.conf.dist"; \
	else \
		install -m 0644 etc/jobtrace.conf $(CONF_DIR)/jobtrace.conf; \
	fi
	$(if $(SPANK_SO),install -d $(DESTDIR)$(LIBDIR)/slurm && \
		install -m 0755 $(SPANK_SO) $(DESTDIR)$(LIBDIR)/slurm/jobtrace_spank.so)

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/jobtrace \
		$(DESTDIR)$(LIBDIR)/libjobtrace.so.$(LIBJT_VERSION) \
		$(DESTDIR)$(LIBDIR)/libjobtrace.so.$(LIBJT_SOVERSION) \
		$(DESTDIR)$(LIBDIR)/libjobtrace.so $(DESTDIR)$(LIBDIR)/libjobtrace.a \
		$(DESTDIR)$(LIBDIR)/pkgconfig/jobtrace.pc \
		$(DESTDIR)$(PREFIX)/include/jobtrace/stream.h \
		$(DESTDIR)$(MANDIR)/man3/libjobtrace.3 \
		$(foreach m,$(MANPAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m))) \
		$(DESTDIR)$(DOCDIR)/LICENSE \
		$(DESTDIR)$(UNITDIR)/jobtrace.service $(CONF_DIR)/jobtrace.conf.dist \
		$(DESTDIR)$(LIBDIR)/slurm/jobtrace_spank.so \
		$(addprefix $(DESTDIR)$(SCHEMADIR)/,$(notdir $(SCHEMAS)))
	rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true
	rmdir $(DESTDIR)$(SCHEMADIR) $(DESTDIR)$(PREFIX)/share/jobtrace 2>/dev/null || true
	rmdir $(DESTDIR)$(PREFIX)/include/jobtrace 2>/dev/null || true
	if cmp -s etc/jobtrace.conf $(CONF_DIR)/jobtrace.conf; then \
		rm -f $(CONF_DIR)/jobtrace.conf; rmdir $(CONF_DIR) 2>/dev/null || true; \
	elif [ -e $(CONF_DIR)/jobtrace.conf ]; then \
		echo "jobtrace: kept $(CONF_DIR)/jobtrace.conf: it was edited"; \
	fi

# Fuzzing: libFuzzer targets over the parsers and decoders (tests/fuzz/), each
# run FUZZ_SECONDS over a scratch corpus under $(OUTPUT)/fuzz seeded from
# tests/fixtures. Not part of `make test`: `make fuzz`, or one family with
# `make fuzz FUZZ_TARGETS=fuzz_netdev FUZZ_SECONDS=60`. Crashes found once
# stay as tests/fuzz/regressions/, which test_fuzz_regressions replays.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 20
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# clang warns of two things gcc lets be (a vfprintf wrapper, cn_msg's flexible
# array inside a struct); the gcc build keeps them errors.
FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE -g -O1 $(WARNINGS) $(DEPFLAGS) -Wno-format-nonliteral \
	-Wno-gnu-variable-sized-type-not-at-end -Iinclude -I$(OUTPUT) \
	-fsanitize=fuzzer-no-link $(FUZZ_SAN)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_ALL := $(patsubst tests/fuzz/%.c,%,$(FUZZ_SRCS))
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_BINS := $(patsubst %,$(OUTPUT)/fuzz/bin/%,$(FUZZ_TARGETS))
FUZZ_OBJS := $(patsubst user/%.c,$(OUTPUT)/fuzz/user/%.o,$(LIB_SRCS)) \
	$(patsubst lib/%.c,$(OUTPUT)/fuzz/lib/%.o,$(LIBJT_SRCS))

$(OUTPUT)/fuzz/user/%.o: user/%.c Makefile | $(SKELS)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(OUTPUT)/fuzz/lib/%.o: lib/%.c Makefile
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

# An archive: each target links only the objects its parsers pull in.
$(OUTPUT)/fuzz/libjt-fuzz.a: $(FUZZ_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(OUTPUT)/fuzz/bin/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(OUTPUT)/fuzz/libjt-fuzz.a
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Itests/fuzz $< \
		$(OUTPUT)/fuzz/libjt-fuzz.a -ljansson $(LDLIBS) -ldl -o $@

# The Slurm tests share their lab (tests/kernel/slurm_lab.h).
$(OUTPUT)/tests/test_slurm $(OUTPUT)/tests/test_slurm_alloc \
$(OUTPUT)/san/tests/test_slurm $(OUTPUT)/san/tests/test_slurm_alloc: tests/kernel/slurm_lab.h

# The replay of tests/fuzz/regressions/ includes the targets' sources.
$(OUTPUT)/tests/test_fuzz_regressions $(OUTPUT)/san/tests/test_fuzz_regressions: \
	$(FUZZ_SRCS) tests/fuzz/fuzz.h

fuzz: $(FUZZ_BINS)
	$(Q)tests/fuzz/run.sh $(OUTPUT) $(FUZZ_BINS)

clean:
	rm -rf $(OUTPUT)

# Keep the generated skeletons and objects between runs.
.SECONDARY:

# What each object and binary included, as the compiler saw it (DEPFLAGS).
-include $(shell find $(OUTPUT) -name '*.d' 2>/dev/null)
