/* SPDX-License-Identifier: MIT */
/*
 * Creating the job process. The child starts blocked on a close-on-exec
 * pipe; the parent places it (cgroups) and only then lets it run its setup
 * steps, so not one instruction of the job runs outside its cgroup.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "jq-exec-internal.h"
#include "jq-util.h"

pid_t jq_exec_spawn_job(const struct jq_exec_spec *s, const struct jq_exec_child_fds *fds,
			const struct jq_exec_spawn_opts *o, const char **ret_step)
{
	int go[2];
	pid_t pid;
	char c = 0;

	if (pipe2(go, O_CLOEXEC) < 0) {
		*ret_step = "pipe";
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(go[0]);
		close(go[1]);
		*ret_step = "fork";
		return -e;
	}
	if (pid == 0) {
		ssize_t n;
		close(go[1]);
		do
			n = read(go[0], &c, 1);
		while (n < 0 && errno == EINTR);
		/* EOF without the byte: the parent gave up on us. */
		if (n != 1)
			_exit(127);
		close(go[0]);
		jq_exec_child_run(s, fds);
	}
	close(go[0]);
	if (o && o->place) {
		int r = o->place(pid, o->place_data);
		if (r < 0) {
			close(go[1]);
			kill(pid, SIGKILL);
			(void)waitpid(pid, NULL, 0);
			*ret_step = "place";
			return r;
		}
	}
	if (write(go[1], &c, 1) != 1) {
		int e = errno;
		close(go[1]);
		kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
		*ret_step = "release";
		return -e;
	}
	close(go[1]);
	return pid;
}
