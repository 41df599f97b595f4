/* SPDX-License-Identifier: GPL-2.0 */
/* `armvm image build`: a rootless, reproducible image builder. */
#ifndef ARMVM_IMAGE_BUILD_H
#define ARMVM_IMAGE_BUILD_H

/* argv[0] is "build". Returns the exit status. */
int cmd_build(int argc, char **argv);

#endif
