/* SPDX-License-Identifier: MIT */
/*
 * jobqd: the jobq daemon. Only main decides to exit.
 */
#include <fcntl.h>
#include <getopt.h>
#include <sys/stat.h>

#include "jobqd.h"
#include "jq-log.h"
#include "jq-paths.h"
#include "jq-util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: jobqd [-c|--config PATH] [--foreground] [-v|--verbose]\n"
		"\n"
		"Runs the jobq daemon. The config path defaults to $JOBQ_CONFIG, then %s.\n"
		"Without --foreground it detaches once it is listening and logs to\n"
		"<state_dir>/jobqd.log.\n",
		JQ_DEFAULT_CONFIG);
}

/*
 * Detaches before the event loop exists (libuv starts threads later; a
 * fork after that would be unsafe). The parent waits until the child is
 * listening, so `jobqd && jobq submit` works, and exits with its verdict.
 */
static int detach(const char *state_dir, int *ret_ready_fd)
{
	int p[2];
	pid_t pid;
	_cleanup_free_ char *log = jq_asprintf("%s/jobqd.log", state_dir);
	int fd, r;

	if (!log)
		return -ENOMEM;
	r = jq_mkdir_p(state_dir, 0755);
	if (r < 0)
		return r;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		char buf[1024];
		ssize_t n;
		close(p[1]);
		n = read(p[0], buf, sizeof(buf) - 1);
		if (n > 0 && buf[0] == '+')
			_exit(0);
		if (n > 1) {
			buf[n] = '\0';
			fprintf(stderr, "jobqd: %s\n", buf + 1);
		} else {
			fprintf(stderr, "jobqd: failed to start, see '%s'\n", log);
		}
		_exit(1);
	}
	close(p[0]);
	setsid();
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		close(fd);
	}
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	*ret_ready_fd = p[1];
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"foreground", no_argument, NULL, 'f'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	const char *config_path = NULL;
	bool foreground = false;
	enum jq_log_level level = JQ_LOG_INFO;
	struct jq_config *config = NULL;
	struct jq_daemon d;
	_cleanup_free_ char *err = NULL;
	int c, r, ready_fd = -1;

	while ((c = getopt_long(argc, argv, "c:fvh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'v':
			level = JQ_LOG_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "jobqd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	jq_log_setup("jobqd", level);
	config_path = jq_config_path(config_path);
	r = jq_config_load(config_path, &config, &err);
	if (r < 0) {
		fprintf(stderr, "jobqd: %s\n", err ? err : strerror(-r));
		return 1;
	}
	if (!foreground) {
		r = detach(config->state_dir, &ready_fd);
		if (r < 0) {
			fprintf(stderr, "jobqd: cannot detach: %s\n", strerror(-r));
			jq_config_free(config);
			return 1;
		}
	}
	r = jq_daemon_init(&d, config, &err);
	if (r < 0) {
		jq_log_error("%s", err ? err : strerror(-r));
		if (ready_fd >= 0) {
			char msg[1024];
			int n = snprintf(msg, sizeof(msg), "-%s", err ? err : strerror(-r));
			(void)!write(ready_fd, msg, (size_t)n);
		}
		jq_daemon_release(&d);
		jq_config_free(d.config);
		return 1;
	}
	jq_log_info("listening on '%s' (database '%s', %zu tenants)", d.config->socket,
		    d.config->database, d.config->n_tenants);
	if (ready_fd >= 0) {
		(void)!write(ready_fd, "+", 1);
		close(ready_fd);
	}
	jq_daemon_run(&d);
	jq_daemon_release(&d);
	jq_config_free(d.config);
	jq_log_info("stopped");
	return 0;
}
