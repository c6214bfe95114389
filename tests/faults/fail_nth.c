// SPDX-License-Identifier: GPL-2.0-only
/*
 * An LD_PRELOAD helper for tests/guest/t91_faults.sh: makes the kernel
 * fail the N-th allocation it makes for the process's (only) thread, and
 * says at exit whether the process got that far (fail-nth in
 * Documentation/fault-injection/fault-injection.rst). Unlike a shell that
 * writes fail-nth and execs the program, it can tell "failed" from "fewer
 * allocations", also for allocations that fail silently (__GFP_NOWARN).
 *
 * LANA_FAIL_NTH=N: the allocation to fail, counting only those the fault
 * attributes' filters pass (t91 filters on lana's text).
 * LANA_FAIL_NTH_OUT=FILE: written at exit, "injected" or "not reached".
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FAIL_NTH "/proc/thread-self/fail-nth"

static void __attribute__((constructor)) arm(void)
{
	const char *n = getenv("LANA_FAIL_NTH");
	int fd;

	if (!n)
		return;
	fd = open(FAIL_NTH, O_WRONLY);
	if (fd < 0 || write(fd, n, strlen(n)) < 0) {
		perror(FAIL_NTH);
		_exit(99);
	}
	close(fd);
}

static void __attribute__((destructor)) report(void)
{
	const char *out = getenv("LANA_FAIL_NTH_OUT");
	char left[32] = "";
	FILE *f;
	int fd;

	if (!out || !getenv("LANA_FAIL_NTH"))
		return;
	fd = open(FAIL_NTH, O_RDONLY);
	if (fd < 0 || read(fd, left, sizeof(left) - 1) < 0)
		return;
	close(fd);
	f = fopen(out, "w");
	if (!f)
		return;
	/* What is left of the count: 0 once the N-th allocation failed. */
	fputs(atoi(left) == 0 ? "injected\n" : "not reached\n", f);
	fclose(f);
}
