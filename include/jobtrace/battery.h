/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef JOBTRACE_BATTERY_H
#define JOBTRACE_BATTERY_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum battery_plugged {
	BATTERY_PLUGGED_UNKNOWN = 0,
	BATTERY_PLUGGED_NO,
	BATTERY_PLUGGED_YES,
};

enum battery_time {
	BATTERY_TIME_UNKNOWN = 0, /* discharging, but nothing to compute it from */
	BATTERY_TIME_KNOWN,	  /* time_left_s holds it */
	BATTERY_TIME_UNLIMITED,	  /* plugged in, charging or full: not draining */
};

/* Which attributes a value came from, so a report can say how it was derived. */
enum battery_source {
	BATTERY_SRC_NONE = 0,
	BATTERY_SRC_ENERGY,	   /* energy_now / energy_full, or / power_now */
	BATTERY_SRC_CHARGE,	   /* charge_now / charge_full, or / current_now */
	BATTERY_SRC_CAPACITY,	   /* capacity, the driver's own percent */
	BATTERY_SRC_TIME_TO_EMPTY, /* time_to_empty_now */
};

struct battery_status {
	bool present; /* false: no system battery; everything else is unset */
	char name[64]; /* class/power_supply entry, e.g. "BAT0" */
	double percent; /* 0..100; NaN when no attribute gives it */
	enum battery_source percent_source;
	enum battery_plugged plugged;
	enum battery_time time;
	enum battery_source time_source;
	uint64_t time_left_s; /* valid when time == BATTERY_TIME_KNOWN */
};

/*
 * Reads the first (by name) class/power_supply entry of type "Battery" under
 * the sys root @sys_fd that powers the system and is present; a machine
 * without one gives present = false and 0. Returns -errno only when
 * class/power_supply exists but cannot be listed, or -ENOMEM.
 */
int battery__read(int sys_fd, struct battery_status *b);
/* battery__read() over an image of a sys root (sysfs_attr.h's struct sysfs_dir). */
int battery__parse(const void *img, size_t len, struct battery_status *b);

#ifdef __cplusplus
}
#endif

#endif
