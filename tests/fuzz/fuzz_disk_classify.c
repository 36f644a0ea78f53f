// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * diskstats over an image of a sys root (struct sysfs_dir). Pick 0: a
 * /proc/diskstats text, a NUL, then the image: each line classified as
 * whole disk, partition or stacked (class/block, block/, slaves/). Pick 1:
 * the image alone, walked as diskstats__read_sysfs() walks block/.
 */
#include "jobtrace/diskstats.h"
#include "jobtrace/sysfs_attr.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int pick = fuzz__pick(&data, &size, 2);
	char *text = NULL, *img;
	struct diskstats ds;
	struct sysfs_dir sys;
	const char *part;
	size_t len;

	if (pick < 0)
		return 0;
	if (pick == 0) {
		fuzz__next_part(&data, &size, &part, &len);
		text = fuzz__copy((const uint8_t *)part, len);
	}
	img = fuzz__copy(data, size);
	sysfs_dir__from_image(&sys, img, size);
	if (pick == 0) {
		if (!diskstats__parse(text, len, &ds)) {
			diskstats__classify_dir(&ds, &sys);
			diskstats__free(&ds);
		}
	} else if (!diskstats__read_sysfs_dir(&sys, &ds)) {
		/* Names come back diskstats-style, one path component at most one '/' deep. */
		for (size_t i = 0; i < ds.nr; i++)
			if (!ds.disks[i].name[0] || strlen(ds.disks[i].name) >= DISKSTATS_NAME_MAX)
				abort();
		diskstats__find(&ds, "sda");
		diskstats__free(&ds);
	}
	free(text);
	free(img);
	return 0;
}
