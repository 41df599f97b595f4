/* SPDX-License-Identifier: GPL-2.0 */
/* Portable disk image tooling: `armvm image build|check`. */
#ifndef ARMVM_IMAGE_IMAGE_H
#define ARMVM_IMAGE_IMAGE_H

/* Entry point of `armvm image ...`; argv[0] is "image". */
int cmd_image(int argc, char **argv);

#endif
