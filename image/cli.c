// SPDX-License-Identifier: GPL-2.0
#include "image/image.h"
#include "lib/util.h"

/* Placeholder until the image tooling lands (issue 4). */
int cmd_image(int argc, char **argv)
{
	pr_err("image: not implemented yet");
	return 1;
}
