// SPDX-License-Identifier: GPL-2.0
#include "image/build.h"
#include "lib/util.h"

int cmd_build(int argc, char **argv)
{
	pr_err("image build: not implemented yet");
	return 1;
}
