// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cpufreq__read() and cpu_topology__read() over an image of a sys root
 * (struct sysfs_dir): the online list, the cpuN fallback, the policies, the
 * topology lists. Odd picks read the topology; picks 2 and 3 add an x86
 * cpuinfo, so the cpuinfo fallbacks run too.
 */
#include "jobtrace/cpuinfo.h"

#include "fuzz.h"

static const char fuzz_cpufreq_cpuinfo[] =
	"processor\t: 0\nphysical id\t: 0\ncpu cores\t: 2\ncpu MHz\t\t: 2600.000\n\n"
	"processor\t: 1\nphysical id\t: 0\ncpu cores\t: 2\ncpu MHz\t\t: 3400.123\n\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int pick = fuzz__pick(&data, &size, 4);
	char *img = fuzz__copy(data, size);
	struct cpu_topology t;
	struct cpuinfo ci = { 0 };
	struct cpufreq f;

	if (pick >= 2 &&
	    cpuinfo__parse(fuzz_cpufreq_cpuinfo, sizeof(fuzz_cpufreq_cpuinfo) - 1, &ci))
		abort();
	if (pick == 0 || pick == 2) {
		if (!cpufreq__parse(img, size, pick ? &ci : NULL, &f)) {
			/* Sorted and distinct, as the header promises. */
			for (size_t i = 1; i < f.nr_cpus; i++)
				if (f.cpus[i - 1].cpu >= f.cpus[i].cpu)
					abort();
			cpufreq__free(&f);
		}
	} else if (pick >= 0) {
		/* Counted among the online CPUs (sysfs) or the two CPUs above (cpuinfo). */
		if (!cpu_topology__parse(img, size, pick == 3 ? &ci : NULL, &t) &&
		    (t.physical_cores > (t.online_cpus > 2 ? t.online_cpus : 2) ||
		     t.sockets > (t.online_cpus > 2 ? t.online_cpus : 2)))
			abort();
	}
	cpuinfo__free(&ci);
	free(img);
	return 0;
}
