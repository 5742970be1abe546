/* SPDX-License-Identifier: Apache-2.0 */
/* self_exe.h - the path of the running program's own executable, so that
 * vmnet-run finds the vmnet-helper installed beside it whatever argv[0]
 * says (a PATH lookup gives a bare name, a symbolic link another dir). */
#ifndef VMNET_HELPER_SELF_EXE_H
#define VMNET_HELPER_SELF_EXE_H

#include <stddef.h>

/**
 * self_exe_path() - absolute path of this process's executable, symbolic
 * links resolved
 * @buf:	output, NUL-terminated
 * @size:	room in @buf, PATH_MAX is enough
 *
 * Linux reads /proc/self/exe (self_exe.c in linux/), macOS asks dyld and
 * resolves the answer with realpath() (darwin/).
 *
 * Return: 0, or a negative errno (-ENAMETOOLONG when @buf is too small).
 */
int self_exe_path(char *buf, size_t size);

#endif
