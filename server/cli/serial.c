/* SPDX-License-Identifier: MIT
 * serial.c: the serial port under `provision`: termios raw mode at a baud rate, one AT command
 * out, bytes in until the answer's final line (core/atcmd.c decides), a timeout, or garbage.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "serial.h"

#define ANSWER_MAX (64 * 1024)

static speed_t baud_of(int baud)
{
	switch (baud) {
	case 9600: return B9600;
	case 19200: return B19200;
	case 38400: return B38400;
	case 57600: return B57600;
	case 115200: return B115200;
	case 230400: return B230400;
	case 460800: return B460800;
	case 921600: return B921600;
	case 1000000: return B1000000;
	default: return 0;
	}
}

int ncm_serial_open(const char *path, int baud, int *fd_out, struct ncm_err_info *err)
{
	struct termios t;
	speed_t sp = baud_of(baud);
	int fd;

	if (!sp)
		return ncm_err_set(err, NCM_ERR_INVAL, "--baud %d is not a standard rate (9600 ... "
				   "1000000; nRF91 kits use 115200)", baud);
	fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return ncm_err_set(err, NCM_ERR_IO, "cannot open %s: %s%s", path, strerror(errno),
				   errno == EACCES ? " (join the 'dialout' group)" : "");
	if (tcgetattr(fd, &t)) {
		close(fd);
		return ncm_err_set(err, NCM_ERR_IO, "%s is not a serial port: %s", path,
				   strerror(errno));
	}
	cfmakeraw(&t);
	t.c_cflag |= CLOCAL | CREAD;
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	cfsetispeed(&t, sp);
	cfsetospeed(&t, sp);
	if (tcsetattr(fd, TCSANOW, &t)) {
		close(fd);
		return ncm_err_set(err, NCM_ERR_IO, "cannot configure %s: %s", path, strerror(errno));
	}
	tcflush(fd, TCIOFLUSH);
	*fd_out = fd;
	return NCM_OK;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int write_all(int fd, const char *p, size_t n, int64_t deadline)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k < 0) {
			if (errno != EAGAIN && errno != EINTR)
				return -1;
			struct pollfd pf = { .fd = fd, .events = POLLOUT };
			int64_t left = deadline - now_ms();

			if (left <= 0 || poll(&pf, 1, (int)left) == 0)
				return -1;
			continue;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int ncm_serial_at(int fd, const char *cmd, int timeout_ms, char **buf_out, size_t *len_out,
		  struct ncm_at_reply *r, struct ncm_err_info *err)
{
	int64_t deadline = now_ms() + timeout_ms;
	size_t len = 0, cap = 1024;
	char *buf = malloc(cap);
	enum ncm_at_final f = NCM_AT_PENDING;

	*buf_out = NULL;
	*len_out = 0;
	if (!buf)
		return ncm_err_set(err, NCM_ERR_NOMEM, "out of memory");
	tcflush(fd, TCIFLUSH); /* drop anything left from before (boot logs, a late answer) */
	if (write_all(fd, cmd, strlen(cmd), deadline) || write_all(fd, "\r\n", 2, deadline)) {
		free(buf);
		return ncm_err_set(err, NCM_ERR_IO, "cannot send to the modem: %s",
				   errno ? strerror(errno) : "timed out");
	}
	while (f == NCM_AT_PENDING) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - now_ms();
		ssize_t k;

		if (left <= 0 || poll(&pf, 1, (int)left) == 0)
			break;
		if (len + 4096 > cap) {
			char *nb;

			if (cap >= ANSWER_MAX) {
				f = NCM_AT_GARBAGE;
				break;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return ncm_err_set(err, NCM_ERR_NOMEM, "out of memory");
			}
			buf = nb;
			cap *= 2;
		}
		k = read(fd, buf + len, cap - len - 1);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (k <= 0) {
			free(buf);
			return ncm_err_set(err, NCM_ERR_IO, "the serial port closed (%s)",
					   k < 0 ? strerror(errno) : "end of file");
		}
		len += (size_t)k;
		buf[len] = '\0';
		f = ncm_at_reply_scan(buf, len, r);
	}
	buf[len] = '\0';
	if (f == NCM_AT_PENDING)
		ncm_at_reply_scan(buf, len, r);
	*buf_out = buf;
	*len_out = len;
	if (f == NCM_AT_PENDING) {
		r->final = NCM_AT_PENDING;
		return ncm_err_set(err, NCM_ERR_IO, "%s", len ? "no OK or ERROR" : "no answer");
	}
	if (f == NCM_AT_GARBAGE) {
		r->final = NCM_AT_GARBAGE;
		return ncm_err_set(err, NCM_ERR_INVAL, "garbage");
	}
	return NCM_OK;
}
