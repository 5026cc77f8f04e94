// OpenBLAS single-precision GEMM at the shapes of ResNet-18 convolutions written as im2col GEMMs (batch 128).
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc,char**argv){
  // ResNet18 layer1 conv as im2col GEMM at batch 128: [N*H*W=131072, K=576] x [576, 64]
  int M=atoi(argv[1]),K=atoi(argv[2]),N=atoi(argv[3]);
  float*a=malloc(sizeof(float)*M*K),*b=malloc(sizeof(float)*K*N),*c=malloc(sizeof(float)*M*N);
  for(long i=0;i<(long)M*K;i++)a[i]=(i%7)*0.1f; for(long i=0;i<(long)K*N;i++)b[i]=(i%5)*0.1f;
  cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,M,N,K,1,a,K,b,N,0,c,N);
  double best=1e9; for(int r=0;r<5;r++){double t=now();cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,M,N,K,1,a,K,b,N,0,c,N);t=now()-t;if(t<best)best=t;}
  printf("M=%d K=%d N=%d: %.1f ms, %.1f GFLOP/s\n",M,K,N,best*1e3,2.0*M*K*N/best/1e9);
}
