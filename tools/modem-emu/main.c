/* SPDX-License-Identifier: MIT
 * main.c: modem-emu, a pseudo-terminal that answers AT commands like an nRF9160 running
 * Nordic's AT host (CONFIG_AT_HOST_LIBRARY, sdk-nrf lib/at_host/at_host.c): a command ends at
 * CR or LF outside double quotes, so a quoted PEM keeps its CR LF line ends; backspace and DEL
 * edit the line; answers end in OK / ERROR / +CME ERROR: n. Prints
 * "modem-emu: ready <pty path>" on stdout when it listens. See docs/lab.md#modem-emu.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "emu.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: modem-emu --store FILE [--pty-link PATH] [--imei N] [--uuid UUID]\n"
		"                 [--firmware VER] [--cfun N] [--capacity BYTES] [--max-cmd BYTES]\n"
		"                 [--inject 'PREFIX|ANSWER']...\n\n"
		"An nRF9160 modem on a pseudo-terminal: AT+CFUN, +CMEE, +CGSN, +CGMR, %%XMODEMUUID,\n"
		"%%SHORTSWVER, %%CMNG (write, list, read, delete) and %%KEYGEN, with credentials kept\n"
		"in the JSON store FILE. --inject answers every command starting with PREFIX with\n"
		"ANSWER (\\n = CR LF; 'silent' = no answer; 'garbage' = bytes no modem sends).\n");
}

/* Raw mode on the pty: no echo, no CR/LF translation either way, so bytes pass untouched. */
static int make_raw(int fd)
{
	struct termios t;

	if (tcgetattr(fd, &t))
		return -1;
	cfmakeraw(&t);
	return tcsetattr(fd, TCSANOW, &t);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				struct pollfd pf = { .fd = fd, .events = POLLOUT };

				poll(&pf, 1, 1000);
				continue;
			}
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "pty-link", required_argument, NULL, 'l' },
		{ "imei", required_argument, NULL, 'i' },
		{ "uuid", required_argument, NULL, 'u' },
		{ "firmware", required_argument, NULL, 'f' },
		{ "cfun", required_argument, NULL, 'c' },
		{ "capacity", required_argument, NULL, 'C' },
		{ "max-cmd", required_argument, NULL, 'm' },
		{ "inject", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct emu e = { 0 };
	const char *store = NULL, *link_path = NULL, *imei = NULL, *uuid = NULL, *fw = NULL;
	const char *injects[EMU_MAX_INJECT];
	size_t n_inj = 0, max_cmd = 4096, len = 0;
	int opt, cfun = 0, master = -1, slave = -1, quoted = 0, overflow = 0, rc = 1;
	char *line = NULL, *ans, *name;
	struct sigaction sa = { 0 };

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's': store = optarg; break;
		case 'l': link_path = optarg; break;
		case 'i': imei = optarg; break;
		case 'u': uuid = optarg; break;
		case 'f': fw = optarg; break;
		case 'c': cfun = atoi(optarg); break;
		case 'C': e.capacity = strtoul(optarg, NULL, 10); break;
		case 'm': max_cmd = strtoul(optarg, NULL, 10); break;
		case 'j':
			if (n_inj == EMU_MAX_INJECT) {
				fprintf(stderr, "modem-emu: at most %d --inject\n", EMU_MAX_INJECT);
				return 2;
			}
			injects[n_inj++] = optarg;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!store || optind != argc || max_cmd < 16) {
		usage(stderr);
		return 2;
	}
	if (emu_open(&e, store, imei, uuid, fw)) {
		fprintf(stderr, "modem-emu: %s\n", e.err);
		return 1;
	}
	e.cfun = cfun;
	for (size_t i = 0; i < n_inj; i++)
		if (emu_add_inject(&e, injects[i])) {
			fprintf(stderr, "modem-emu: --inject '%s' must be 'PREFIX|ANSWER'\n",
				injects[i]);
			goto out;
		}
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master) || !(name = ptsname(master))) {
		perror("modem-emu: pty");
		goto out;
	}
	/* keep the slave open ourselves, so a client closing it does not hang up the master */
	slave = open(name, O_RDWR | O_NOCTTY);
	if (slave < 0 || make_raw(slave)) {
		perror("modem-emu: pty slave");
		goto out;
	}
	if (link_path) {
		unlink(link_path);
		if (symlink(name, link_path)) {
			fprintf(stderr, "modem-emu: cannot link %s: %s\n", link_path, strerror(errno));
			link_path = NULL;
			goto out;
		}
	}
	line = malloc(max_cmd + 1);
	if (!line)
		goto out;
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("modem-emu: ready %s\n", link_path ? link_path : name);
	fflush(stdout);

	while (!stop) {
		char buf[4096];
		struct pollfd pf = { .fd = master, .events = POLLIN };
		ssize_t k;

		if (poll(&pf, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		k = read(master, buf, sizeof(buf));
		if (k < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EIO)
				continue;
			break;
		}
		for (ssize_t i = 0; i < k; i++) {
			char c = buf[i];
			size_t alen;

			if (c == 0x08 || c == 0x7f) { /* backspace and DEL edit the line */
				if (len)
					len--;
				continue;
			}
			if (c == '"')
				quoted = !quoted;
			if (quoted || (c != '\r' && c != '\n')) {
				if (len < max_cmd)
					line[len++] = c;
				else
					overflow = 1;
				continue;
			}
			if (!len && !overflow)
				continue; /* an empty line (or the LF of CR LF) */
			line[len] = '\0';
			if (overflow) {
				/* longer than the AT host's buffer (CONFIG_AT_HOST_CMD_MAX_LEN) */
				ans = strdup("ERROR\r\n");
				alen = ans ? strlen(ans) : 0;
			} else if (emu_handle(&e, line, &ans, &alen)) {
				ans = NULL;
			}
			if (ans && write_all(master, ans, alen))
				stop = 1;
			free(ans);
			len = 0;
			overflow = 0;
		}
	}
	rc = 0;
out:
	if (link_path)
		unlink(link_path);
	free(line);
	if (slave >= 0)
		close(slave);
	if (master >= 0)
		close(master);
	emu_close(&e);
	return rc;
}
