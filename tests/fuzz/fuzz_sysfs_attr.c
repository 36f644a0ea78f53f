// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* One-value sysfs attributes ("12345\n") as netdev, hwmon and battery read them. */
#include "jobtrace/sysfs_attr.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz__cstr(data, size);
	unsigned long long u;
	long long v;

	sysfs_attr__parse_s64(s, &v);
	sysfs_attr__parse_u64(s, &u);
	free(s);
	return 0;
}
