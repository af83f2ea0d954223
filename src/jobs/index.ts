export { JOBS, JOB_NAMES, JobBusyError, UnknownJobError, getJob, isJobName, rangeDates, type JobDefinition, type JobName } from './jobs.js';
export {
  DEFAULT_LOCK_TTL_MS,
  InProcessJobLock,
  PostgresAdvisoryJobLock,
  RedisJobLock,
  createJobLock,
  type JobLock,
  type JobLockOptions,
  type LockHandle,
} from './job-lock.js';
export { JobRunStore, type FailedTeam, type JobRunRow, type JobRunStatus, type JobRunTrigger } from './job-run.store.js';
export {
  JobRunner,
  runJobOnce,
  slotRunKey,
  type JobRunnerDeps,
  type ManualRunOptions,
  type RetryPolicy,
  type ScheduledSlot,
  type SnapshotGenerator,
  type TeamSource,
} from './job-runner.js';
export { DEFAULT_CATCH_UP_MS, DEFAULT_SWEEP_PATTERN, createScheduler, type Scheduler, type SchedulerDeps } from './scheduler.js';
