-- Runs that importModelVersion registers for weights imported from a safetensors file (a PyTorch state_dict): each
-- holds one checkpoint, epoch 0, of the imported weights, and trained nothing.

-- AlterEnum
ALTER TYPE "RunSource" ADD VALUE 'IMPORT';
