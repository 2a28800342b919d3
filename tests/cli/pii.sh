#!/bin/sh
echo "ok - placeholder"
