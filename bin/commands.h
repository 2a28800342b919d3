/* The commands of `curate`, one bin/cmd_<name>.c each. */
#ifndef CUR_COMMANDS_H
#define CUR_COMMANDS_H

int cmd_ingest(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_shard(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_dedup(int argc, char **argv);
int cmd_filter(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_tokenizer(int argc, char **argv);
int cmd_slurm(int argc, char **argv);
int cmd_classify(int argc, char **argv);
int cmd_model(int argc, char **argv);

#endif
