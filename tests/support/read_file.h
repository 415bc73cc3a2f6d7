/* SPDX-License-Identifier: Apache-2.0 */
/*
 * read_file.h: a whole file into memory, for the tests and benchmarks
 * that replay captures and record dumps.
 */
#ifndef BF_TEST_READ_FILE_H
#define BF_TEST_READ_FILE_H

#include <stddef.h>
#include <stdint.h>

/*
 * The file at path, malloc'd with one byte to spare (room for a NUL), its
 * size in *len; NULL when it cannot be read, said on stderr ("PATH:
 * cannot read: WHY").
 */
uint8_t	*test_read_file(const char *path, size_t *len);

#endif /* BF_TEST_READ_FILE_H */
