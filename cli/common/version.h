/* SPDX-License-Identifier: Apache-2.0 */
/* version.h - what --version prints, for every program. The Makefile
 * passes the real values to the programs' main objects (-D); these
 * defaults serve a build without them. */
#ifndef VMNET_HELPER_VERSION_H
#define VMNET_HELPER_VERSION_H

#include <stdio.h>

#ifndef VMNET_HELPER_VERSION
#define VMNET_HELPER_VERSION "v1.0.0-dev"
#endif
#ifndef VMNET_HELPER_COMMIT
#define VMNET_HELPER_COMMIT "unknown"
#endif

/* vmnet-helper's two lines; minikube parses the first as a semantic
 * version. */
static inline void version_print(void)
{
	printf("version: %s\ncommit: %s\n", VMNET_HELPER_VERSION,
	       VMNET_HELPER_COMMIT);
}

#endif
