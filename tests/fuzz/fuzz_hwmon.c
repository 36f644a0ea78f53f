// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* class/hwmon and class/thermal of a sys root, as an image (struct sysfs_dir). */
#include "jobtrace/hwmon.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *img = fuzz__copy(data, size);
	struct hwmon_readings r;

	if (!hwmon__parse(img, size, &r))
		hwmon_readings__free(&r);
	free(img);
	return 0;
}
