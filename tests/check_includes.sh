#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The include graph points down only: user/cmd -> user/out -> user/collect
# -> user/bpf -> user/proc, user/sys, user/lib (README.md, "Architecture").
# A header of include/jobtrace belongs to the layer of the user/*/NAME.c of
# its name (a few are named below); one with no owner (an ABI: the records,
# the stream, the version) anyone may include. Every user/*/*.[ch] and every
# owned header is checked; each include of a higher layer's header, and
# of the BPF loader's or the sources' header from a front or a sink, is
# printed, and the script fails. README's diagram of the layers is held to
# the same ranks: every folder of user/ once, each row below the rows of
# higher layers. Run by make test and make test-unit.
set -eu
cd "$(dirname "$0")/.."

rank() {
	case $1 in
	lib | proc | sys) echo 1 ;;
	bpf) echo 2 ;;
	collect) echo 3 ;;
	out) echo 4 ;;
	cmd) echo 5 ;;
	*) echo 0 ;;
	esac
}

# The layer that owns include/jobtrace/$1.h; "" for none.
owner() {
	case $1 in
	# No user/*/NAME.c: whose they are.
	inspect_proc | source) echo collect; return ;;
	# A command's name, but a lower layer's module (the command's
	# X__main() is user/cmd/commands.h's): the module owns the header.
	connections) echo collect; return ;; # connections__collect(); its writers in out
	top | system | ps | history) echo out; return ;; # top_model, sink_top; host__write_*; ps__write; sink_history, the reader
	esac
	for f in user/*/"$1".c; do
		[ -e "$f" ] || continue
		f=${f#user/}
		echo "${f%%/*}"
		return
	done
	echo ""
}

check() { # $1: the file, $2: its layer
	r=$(rank "$2")
	for h in $(sed -n 's|^#include "jobtrace/\([a-z0-9_]*\)\.h".*|\1|p' "$1"); do
		# The loader's API and the source contract are the collector's own.
		case $h:$2 in
		lineage:cmd | lineage:out | source:cmd | source:out)
			echo "$1 ($2) includes jobtrace/$h.h: private to user/collect and user/bpf" >&2
			bad=1
			;;
		esac
		o=$(owner "$h")
		[ -n "$o" ] || continue
		if [ "$(rank "$o")" -gt "$r" ]; then
			echo "$1 ($2) includes jobtrace/$h.h (user/$o): the arrows point down only" >&2
			bad=1
		fi
	done
}

bad=0
for f in user/*/*.c user/*/*.h; do
	d=${f#user/}
	check "$f" "${d%%/*}"
done
for f in include/jobtrace/*.h; do
	n=$(basename "$f" .h)
	o=$(owner "$n")
	[ -n "$o" ] && check "$f" "$o"
done
# README.md's diagram: the fenced block after its "<!-- layers" marker; a
# row is a line's user/NAME words, top to bottom.
rows=$(awk '/^<!-- layers/ { on = 1; next }
	on && /^```/ { if (++fence == 2) exit; next }
	on && fence == 1' README.md |
	awk '{ r = ""; for (i = 1; i <= NF; i++) if ($i ~ /^user\/[a-z]+$/) r = r " " substr($i, 6)
	       if (r != "") print r }')
[ -n "$rows" ] || { echo "README.md: no diagram of the layers (<!-- layers ... -->)" >&2; bad=1; }
above=99
listed=" "
while read -r row; do
	[ -n "$row" ] || continue
	r=""
	for d in $row; do
		rd=$(rank "$d")
		if [ "$rd" -eq 0 ]; then
			echo "README.md: the diagram names user/$d, a folder with no layer here" >&2
			bad=1
		elif [ -n "$r" ] && [ "$rd" -ne "$r" ]; then
			echo "README.md: the diagram puts user/$d in a row of another layer" >&2
			bad=1
		fi
		r=$rd
		listed="$listed$d "
	done
	if [ "$r" -ge "$above" ]; then
		echo "README.md: the diagram's row '$row' is not below the layers above it" >&2
		bad=1
	fi
	above=$r
done <<ROWS
$rows
ROWS
for f in user/*/; do
	d=$(basename "$f")
	case $listed in
	*" $d "*) ;;
	*)
		echo "README.md: the diagram of the layers has no user/$d" >&2
		bad=1
		;;
	esac
done
if [ "$bad" -ne 0 ]; then
	echo "check_includes: the include graph has arrows going up, or README's diagram is not" \
		"the layers (see above)" >&2
	exit 1
fi
echo "check_includes: the include graph points down"
