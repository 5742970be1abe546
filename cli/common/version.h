/* SPDX-License-Identifier: Apache-2.0 */
/* version.h - what --version prints, for every program: the version,
 * defined here and only here, and the commit, which the Makefile passes
 * to the programs' main objects. */
#ifndef VMNET_HELPER_VERSION_H
#define VMNET_HELPER_VERSION_H

#include <stdio.h>

/* minikube needs a semantic version >= 0.9.0. */
#define VMNET_HELPER_VERSION "v1.0.0-dev"
/* A build without the Makefile's -D. */
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
