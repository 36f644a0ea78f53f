// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* class/power_supply of a sys root, as an image (struct sysfs_dir). */
#include "jobtrace/battery.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *img = fuzz__copy(data, size);
	struct battery_status b;

	battery__parse(img, size, &b);
	free(img);
	return 0;
}
