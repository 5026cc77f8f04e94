// One thread's AVX-512 FMA throughput: 12 independent accumulators, so the loop is bound by FMA issue, not latency.
// The accumulators must stay in registers: unrolled by the pragma (at -O2 gcc otherwise keeps the array on the stack,
// and the loop measures store-to-load forwarding instead, about 40 GFLOP/s).
#include <immintrin.h>
#include <stdio.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(){
  __m512 a[12]; __m512 b=_mm512_set1_ps(1.0000001f), c=_mm512_set1_ps(0.9999999f);
  for(int i=0;i<12;i++)a[i]=_mm512_set1_ps(i);
  long iters=200000000; double t=now();
  for(long n=0;n<iters;n++){
    #pragma GCC unroll 12
    for(int i=0;i<12;i++) a[i]=_mm512_fmadd_ps(a[i],b,c); }
  t=now()-t; float s=0; for(int i=0;i<12;i++) s+=_mm512_reduce_add_ps(a[i]);
  printf("%.1f GFLOP/s (one thread, AVX-512 FMA) %g\n", iters*12.0*16*2/t/1e9, s);
}
