/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef JOBTRACE_HWMON_H
#define JOBTRACE_HWMON_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HWMON_NAME_SIZE 64

struct hwmon_temp {
	char chip[HWMON_NAME_SIZE];  /* hwmon "name", or a thermal zone's "type" */
	char label[HWMON_NAME_SIZE]; /* tempN_label; "<chip> tempN" or the zone's dir if none */
	char dir[32];		     /* "hwmon3", "thermal_zone0": tells same-named chips apart */
	unsigned int index;	     /* N of tempN_input, or of thermal_zoneN */
	double current_celsius;
	double high_celsius;	 /* tempN_max or a "hot" trip point; NaN if there is none */
	double critical_celsius; /* tempN_crit or a "critical" trip point; NaN if none */
};

struct hwmon_fan {
	char chip[HWMON_NAME_SIZE];
	char label[HWMON_NAME_SIZE]; /* fanN_label, or "<chip> fanN" */
	char dir[32];
	unsigned int index;
	uint64_t rpm;
};

struct hwmon_readings {
	struct hwmon_temp *temps;
	size_t n_temps;
	struct hwmon_fan *fans;
	size_t n_fans;
	/* Inputs that could not be read or parsed (EIO, ENODATA, garbage): skipped. */
	unsigned int n_broken;
	/* No hwmon temperature existed; temps come from class/thermal/thermal_zone*. */
	bool from_thermal;
};

/*
 * Reads every class/hwmon/hwmonN under the sys root @sys_fd, in N order:
 * tempN_* under the chip's directory, or under its device/ directory on
 * older drivers. Falls back to class/thermal when no hwmon temperature could
 * be read. A machine without sensors gives empty readings and 0. Returns
 * -ENOMEM, or -errno when a class directory exists but cannot be listed.
 */
int hwmon__read(int sys_fd, struct hwmon_readings *r);
/* hwmon__read() over an image of a sys root (sysfs_attr.h's struct sysfs_dir). */
int hwmon__parse(const void *img, size_t len, struct hwmon_readings *r);

/* Frees the arrays and empties @r; NULL-safe. */
void hwmon_readings__free(struct hwmon_readings *r);

#ifdef __cplusplus
}
#endif

#endif
