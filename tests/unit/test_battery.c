// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "testutil.h"

#include <dirent.h>
#include <math.h>
#include <unistd.h>

#include "jobtrace/battery.h"
#include "jobtrace/util.h"

#define SYS FIXTURES "/sys"

struct battery_case {
	const char *name;
	const char *root;
	bool present;
	const char *supply;
	double percent;
	enum battery_source percent_source;
	enum battery_plugged plugged;
	enum battery_time time;
	enum battery_source time_source;
	uint64_t time_left_s;
};

static const struct battery_case cases[] = {
	/* 30/50 Wh; 30 Wh at 10 W = 3 h. capacity (59) is not used: energy is finer. */
	{ "energy, discharging", SYS "/power-energy", true, "BAT0", 60.0, BATTERY_SRC_ENERGY,
	  BATTERY_PLUGGED_NO, BATTERY_TIME_KNOWN, BATTERY_SRC_ENERGY, 10800 },
	/* BAT0 is an empty bay; BAT1 2/4 Ah at -1 A (sign = discharging) = 2 h. */
	{ "charge, empty bay first", SYS "/power-charge", true, "BAT1", 50.0, BATTERY_SRC_CHARGE,
	  BATTERY_PLUGGED_NO, BATTERY_TIME_KNOWN, BATTERY_SRC_CHARGE, 7200 },
	/* The mouse (scope Device) sorts first; no Mains, so status says unplugged. */
	{ "capacity only", SYS "/power-capacity", true, "macsmc-battery", 77.0,
	  BATTERY_SRC_CAPACITY, BATTERY_PLUGGED_NO, BATTERY_TIME_UNKNOWN, BATTERY_SRC_NONE, 0 },
	/* 5400 s as written, not x60; energy/power would have said 7200. */
	{ "time_to_empty_now", SYS "/power-tte", true, "BAT0", 50.0, BATTERY_SRC_ENERGY,
	  BATTERY_PLUGGED_NO, BATTERY_TIME_KNOWN, BATTERY_SRC_TIME_TO_EMPTY, 5400 },
	{ "charging on AC", SYS "/power-charging", true, "BAT0", 90.0, BATTERY_SRC_ENERGY,
	  BATTERY_PLUGGED_YES, BATTERY_TIME_UNLIMITED, BATTERY_SRC_NONE, 0 },
	/* 51 of 50 Wh is clamped; no Mains, "Full" means plugged. */
	{ "full, no Mains", SYS "/power-full", true, "BAT0", 100.0, BATTERY_SRC_ENERGY,
	  BATTERY_PLUGGED_YES, BATTERY_TIME_UNLIMITED, BATTERY_SRC_NONE, 0 },
	/* "Not charging" says nothing of the plug, and power_now 0 gives no time. */
	{ "not charging", SYS "/power-notcharging", true, "BAT0", 80.0, BATTERY_SRC_ENERGY,
	  BATTERY_PLUGGED_UNKNOWN, BATTERY_TIME_UNKNOWN, BATTERY_SRC_NONE, 0 },
	/* Mains, a USB-C port and a mouse: no system battery. */
	{ "no battery", SYS "/power-none", false, "", NAN, BATTERY_SRC_NONE,
	  BATTERY_PLUGGED_UNKNOWN, BATTERY_TIME_UNKNOWN, BATTERY_SRC_NONE, 0 },
	{ "no power_supply class", FIXTURES "/net/t0/sys", false, "", NAN, BATTERY_SRC_NONE,
	  BATTERY_PLUGGED_UNKNOWN, BATTERY_TIME_UNKNOWN, BATTERY_SRC_NONE, 0 },
};

static void test_battery_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct battery_case *c = &cases[i];
		struct battery_status b;
		int fd = util__open_dir(c->root);

		if (fd < 0)
			fail_msg("%s: cannot open %s", c->name, c->root);
		assert_int_equal(battery__read(fd, &b), 0);
		close(fd);
		if (b.present != c->present || strcmp(b.name, c->supply) ||
		    !(b.percent == c->percent || (isnan(b.percent) && isnan(c->percent))) ||
		    b.percent_source != c->percent_source || b.plugged != c->plugged ||
		    b.time != c->time || b.time_source != c->time_source ||
		    b.time_left_s != c->time_left_s)
			fail_msg("%s: present %d '%s' %g%% (src %d) plugged %d time %d (src %d) "
				 "%llu s",
				 c->name, b.present, b.name, b.percent, b.percent_source,
				 b.plugged, b.time, b.time_source,
				 (unsigned long long)b.time_left_s);
	}
}

/* This VM's power_supply class is empty; elsewhere the read must still succeed. */
static void test_live(void **state)
{
	struct battery_status b;
	int fd = util__open_dir("/sys");
	DIR *d;
	bool any = false;

	assert_true(fd >= 0);
	assert_int_equal(battery__read(fd, &b), 0);
	close(fd);
	d = opendir("/sys/class/power_supply");
	if (d) {
		struct dirent *de;

		while ((de = readdir(d)))
			if (de->d_name[0] != '.')
				any = true;
		closedir(d);
	}
	if (!any) {
		assert_false(b.present);
		assert_true(isnan(b.percent));
	}
}

/* battery__parse() over an image: the mouse's battery is passed over for BAT0. */
static void test_image(void **state)
{
	static const char img[] = "class/power_supply/AC/type\0Mains\n\0"
				  "class/power_supply/AC/online\0" "0\n\0"
				  "class/power_supply/BAT0/type\0Battery\n\0"
				  "class/power_supply/BAT0/status\0Discharging\n\0"
				  "class/power_supply/BAT0/energy_now\0" "30000000\n\0"
				  "class/power_supply/BAT0/energy_full\0" "60000000\n\0"
				  "class/power_supply/BAT0/power_now\0" "15000000\n\0"
				  "class/power_supply/A-mouse/type\0Battery\n\0"
				  "class/power_supply/A-mouse/scope\0Device\n";
	struct battery_status b;

	assert_int_equal(battery__parse(img, sizeof(img) - 1, &b), 0);
	assert_true(b.present);
	assert_string_equal(b.name, "BAT0");
	assert_true(b.percent == 50.0);
	assert_int_equal(b.plugged, BATTERY_PLUGGED_NO);
	assert_int_equal(b.time, BATTERY_TIME_KNOWN);
	assert_int_equal(b.time_left_s, 7200);
	assert_int_equal(battery__parse("", 0, &b), 0);
	assert_false(b.present);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_battery_table),
		cmocka_unit_test(test_live),
		cmocka_unit_test(test_image),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
