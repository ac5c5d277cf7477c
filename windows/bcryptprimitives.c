/*
 * A stand-in for Windows' bcryptprimitives.dll, for Wine only.
 *
 * Rust's std (1.78 and later) gets its random numbers from ProcessPrng in
 * bcryptprimitives.dll, which every Windows 10+ has but Wine 8 does not, so
 * the addon would fail to load there ("Module not found"). This DLL exports
 * ProcessPrng and forwards to RtlGenRandom (advapi32's SystemFunction036),
 * which Wine implements. windows/run.js builds it with MinGW at test time and
 * puts it next to the .node file; it is never shipped.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
