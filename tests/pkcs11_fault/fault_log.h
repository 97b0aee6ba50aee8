/*
 * Where the fault module speaks: fired faults go to the file named by
 * CARDBOUND_FAULT_LOG (appended) or, without it, to stderr; warnings about the
 * module's own setup or the control file always go to stderr (and to the log
 * file too), because they explain a test that does not do what it says.
 *
 * Every message is one line, written with a single write() so that lines of
 * threads and of processes sharing a log file do not interleave.
 */
#ifndef CARDBOUND_FAULT_LOG_H
#define CARDBOUND_FAULT_LOG_H

/* A fault fired (or what the module did about one). */
void fault_log(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Something is wrong with how the test set the module up. */
void fault_warn(const char *format, ...) __attribute__((format(printf, 1, 2)));

#endif
