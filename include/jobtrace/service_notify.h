/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Telling systemd (Type=notify) how serve stands: READY=1 once its
 * programs are attached, RELOADING=1 ... READY=1 around a SIGHUP, STOPPING=1
 * at the end. The protocol is one datagram of `VAR=VALUE` lines to the
 * AF_UNIX socket that $NOTIFY_SOCKET names, '@' standing for the abstract
 * namespace's leading NUL; sd_notify(3) documents it as stable and open to
 * other implementations. One datagram a state does not need libsystemd (nor
 * its dependencies in jobtrace's link), as caps.h does without libcap.
 */
#ifndef JOBTRACE_SERVICE_NOTIFY_H
#define JOBTRACE_SERVICE_NOTIFY_H

#ifdef __cplusplus
extern "C" {
#endif

#include <sys/socket.h>
#include <sys/un.h>

/*
 * The address @name (a $NOTIFY_SOCKET value) stands for, into @sa and
 * @len: "/PATH" a socket in the file system, "@NAME" an abstract one (its
 * length counts no NUL: the kernel would take one as part of the name).
 * 0; -ENOENT for NULL or ""; -ENAMETOOLONG; -EAFNOSUPPORT for any other
 * form (a relative path; "vsock:", which systemd 252 never sets).
 */
int service_notify__address(const char *name, struct sockaddr_un *sa, socklen_t *len);

/*
 * Sends @state ("READY=1", "STOPPING=1", lines joined by '\n') to the
 * service manager. 0 when none listens for it ($NOTIFY_SOCKET unset: serve
 * run by hand), 1 when sent, else a negative errno, which it also logs
 * ("jobtrace: cannot tell the service manager READY=1 at ...": every
 * caller would print that line, and systemd waits for READY=1 until its
 * start timeout, so the reason is worth the journal's line).
 */
int service_notify__send(const char *state);

/* RELOADING=1 with the MONOTONIC_USEC= systemd 253's Type=notify-reload wants. */
int service_notify__reloading(void);

#ifdef __cplusplus
}
#endif

#endif
