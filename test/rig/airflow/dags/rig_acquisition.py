"""Rig DAGs shaped like alphakraken's: per-file acquisition handling whose copy step holds a
file_copy_pool slot, a cluster job step in cluster_slots_pool and an S3 upload in s3_upload_pool.
Steps sleep instead of copying; dag_run.conf can set copy_seconds (default 600) so the pool-busy
scenario can keep file_copy_pool full for as long as it likes.
The one file serves both rig Airflows: 2.10 (component airflow) and 3.x (component airflow3)."""
from datetime import datetime

try:  # Airflow 3: the task SDK and the standard provider
    from airflow.sdk import DAG
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:  # Airflow 2.10
    from airflow import DAG
    from airflow.operators.bash import BashOperator

DEFAULT_ARGS = {"owner": "rig", "retries": 0}

with DAG(
    dag_id="acquisition_handler.rig_instrument1",
    description="Copy a raw file to the backup pool, then quant it on the cluster (rig stand-in)",
    start_date=datetime(2026, 1, 1),
    schedule=None,
    catchup=False,
    max_active_runs=16,
    max_active_tasks=16,
    default_args=DEFAULT_ARGS,
    tags=["rig", "alphakraken"],
    params={"raw_file": "20261123_astral1_sample1.raw", "copy_seconds": 600},
) as dag:
    copy_raw_file = BashOperator(
        task_id="copy_raw_file",
        pool="file_copy_pool",
        bash_command='echo "copying {{ params.raw_file }}"; '
                     'sleep "{{ dag_run.conf.get(\'copy_seconds\', params.copy_seconds) }}"',
    )
    start_quanting = BashOperator(
        task_id="start_quanting",
        pool="cluster_slots_pool",
        bash_command="echo submitting alphakraken job; sleep 1",
    )
    upload_to_s3 = BashOperator(
        task_id="upload_to_s3",
        pool="s3_upload_pool",
        bash_command="echo uploading; sleep 1",
    )
    copy_raw_file >> start_quanting >> upload_to_s3
