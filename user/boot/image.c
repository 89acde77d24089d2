// SPDX-License-Identifier: GPL-2.0
/* Reading an image file whole, with a message that names the file. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm.h"

/* Larger than any image a guest of ours boots; refuses /dev/zero & co. */
#define IMAGE_MAX	(1ULL << 31)

int image_read(struct image *img, const char *path, const char *what)
{
	struct stat st;
	size_t done = 0;
	int fd;

	memset(img, 0, sizeof(*img));
	img->path = path;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return plumb_err("%s %s: %s", what, path, strerror(errno)), -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		plumb_err("%s %s: not a regular file", what, path);
		goto fail;
	}
	if ((uint64_t)st.st_size > IMAGE_MAX) {
		plumb_err("%s %s: too large (%lld bytes)", what, path,
			  (long long)st.st_size);
		goto fail;
	}
	img->len = (size_t)st.st_size;
	img->owned = malloc(img->len ? img->len : 1);
	img->data = img->owned;
	if (!img->owned) {
		plumb_err("%s %s: out of memory", what, path);
		goto fail;
	}
	while (done < img->len) {
		ssize_t n = read(fd, img->owned + done, img->len - done);

		if (n <= 0) {
			plumb_err("%s %s: read: %s", what, path,
				  n ? strerror(errno) : "file shrank");
			goto fail;
		}
		done += (size_t)n;
	}
	close(fd);
	return 0;
fail:
	close(fd);
	free(img->owned);
	img->owned = NULL;
	img->data = NULL;
	return -1;
}

void image_free(struct image *img)
{
	free(img->owned);
	img->owned = NULL;
	img->data = NULL;
}
