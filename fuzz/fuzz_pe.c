// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the input is a PE/COFF file (an EFI application). */
#include <stddef.h>
#include <stdint.h>

#include "image/pe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pe_info pi;

	pe_identify(data, size, &pi);
	pe_machine_name(pi.machine);
	return 0;
}
