/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jq-job.h"
#include "jq-util.h"

static const char *const state_names[_JQ_JOB_STATE_MAX] = {
    [JQ_JOB_QUEUED] = "queued",	      [JQ_JOB_HELD] = "held",
    [JQ_JOB_STARTING] = "starting",   [JQ_JOB_RUNNING] = "running",
    [JQ_JOB_SUCCEEDED] = "succeeded", [JQ_JOB_FAILED] = "failed",
    [JQ_JOB_TIMEOUT] = "timeout",     [JQ_JOB_OOM] = "oom",
    [JQ_JOB_CANCELLED] = "cancelled", [JQ_JOB_FAILED_TO_START] = "failed_to_start",
    [JQ_JOB_LOST] = "lost",
};

const char *jq_job_state_to_string(enum jq_job_state s)
{
	if ((unsigned)s >= _JQ_JOB_STATE_MAX)
		return NULL;
	return state_names[s];
}

int jq_job_state_from_string(const char *s, enum jq_job_state *ret)
{
	if (!s)
		return -EINVAL;
	for (int i = 0; i < _JQ_JOB_STATE_MAX; i++)
		if (!strcmp(s, state_names[i])) {
			*ret = (enum jq_job_state)i;
			return 0;
		}
	return -EINVAL;
}

bool jq_job_state_is_final(enum jq_job_state s)
{
	return s >= JQ_JOB_SUCCEEDED && s < _JQ_JOB_STATE_MAX;
}

#define B(s) (1u << (s))
static const unsigned transitions[_JQ_JOB_STATE_MAX] = {
    [JQ_JOB_QUEUED] = B(JQ_JOB_HELD) | B(JQ_JOB_STARTING) | B(JQ_JOB_CANCELLED),
    [JQ_JOB_HELD] = B(JQ_JOB_QUEUED) | B(JQ_JOB_CANCELLED),
    [JQ_JOB_STARTING] = B(JQ_JOB_QUEUED) | B(JQ_JOB_RUNNING) | B(JQ_JOB_FAILED_TO_START) |
			B(JQ_JOB_CANCELLED) | B(JQ_JOB_LOST),
    [JQ_JOB_RUNNING] = B(JQ_JOB_SUCCEEDED) | B(JQ_JOB_FAILED) | B(JQ_JOB_TIMEOUT) | B(JQ_JOB_OOM) |
		       B(JQ_JOB_CANCELLED) | B(JQ_JOB_FAILED_TO_START) | B(JQ_JOB_LOST),
};
#undef B

bool jq_job_transition_valid(enum jq_job_state from, enum jq_job_state to)
{
	if ((unsigned)from >= _JQ_JOB_STATE_MAX || (unsigned)to >= _JQ_JOB_STATE_MAX)
		return false;
	return transitions[from] & (1u << to);
}

void jq_job_init(struct jq_job *j)
{
	*j = (struct jq_job){
	    .id = -1,
	    .uid = -1,
	    .gid = -1,
	    .requested = jq_limits_unset(),
	    .effective = jq_limits_unset(),
	    .state = JQ_JOB_QUEUED,
	    .submitted_at = -1,
	    .started_at = -1,
	    .finished_at = -1,
	    .exit_code = -1,
	    .signal = -1,
	    .helper_pid = -1,
	    .helper_start_time = -1,
	    .acct = {-1, -1, -1, -1, -1, -1, -1},
	};
}

void jq_job_release(struct jq_job *j)
{
	if (!j)
		return;
	free(j->tenant);
	free(j->user);
	free(j->gids);
	free(j->name);
	jq_strv_free(j->argv);
	jq_strv_free(j->env);
	free(j->cwd);
	free(j->after);
	free(j->reason);
	free(j->hold_admin);
	jq_job_init(j);
}
