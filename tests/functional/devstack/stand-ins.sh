#!/bin/bash
# Stand-ins for the devstack functions that devstack/plugin.sh calls.
#
# They follow devstack master at 493835a61a996731a7031861f80c7629acd5d6f2
# (functions-common, inc/ini-config, lib/database, lib/databases/mysql,
# lib/rpc_backend, lib/keystone): same arguments, same return status, same
# files written, written anew here rather than copied. What cannot happen
# on a test machine is recorded in $STANDIN_LOG instead of done: Keystone
# calls, installs and systemd units. Databases are real (the MariaDB on
# 127.0.0.1) and so is every INI file. Two deliberate differences, each
# marked below: the mysql client gets -p only when a password is set (the
# test server has none), and sudo runs the command as the current user.

function _standin_record {
    echo "$*" >> "$STANDIN_LOG"
}

function echo_summary {
    echo "$@"
}

# functions-common: ENABLED_SERVICES, with the n-/g-/q-/s- catch-alls.
function is_service_enabled {
    local enabled=1 service
    for service in "$@"; do
        [[ ,${ENABLED_SERVICES}, =~ ,${service}, ]] && enabled=0
        [[ ${service} == n-cpu-* && ,${ENABLED_SERVICES} =~ ,"n-cpu" ]] && \
            enabled=0
        [[ ${service} == "nova" && ,${ENABLED_SERVICES} =~ ,"n-" ]] && \
            enabled=0
        [[ ${service} == "glance" && ,${ENABLED_SERVICES} =~ ,"g-" ]] && \
            enabled=0
        [[ ${service} == "neutron" && ,${ENABLED_SERVICES} =~ ,"q-" ]] && \
            enabled=0
        [[ ${service} == "swift" && ,${ENABLED_SERVICES} =~ ,"s-" ]] && \
            enabled=0
    done
    return $enabled
}

function enable_service {
    local service
    for service in "$@"; do
        if [[ ,${DISABLED_SERVICES}, =~ ,${service}, ]]; then
            continue
        fi
        if ! is_service_enabled "$service"; then
            ENABLED_SERVICES="${ENABLED_SERVICES:+$ENABLED_SERVICES,}$service"
        fi
    done
}

# inc/ini-config: a missing file or section is created; a new option goes
# right under its section header; an existing one is replaced in place.
function ini_has_option {
    local file=$1 section=$2 option=$3
    [[ -n $(sed -ne "/^\[$section\]/,/^\[.*\]/ { /^$option[ \t]*=/ p; }" \
        "$file" 2>/dev/null) ]]
}

function iniset {
    local file=$1 section=$2 option=$3 value=$4
    value=$(echo $value | sed -e 's/\\/\\\\/g' -e 's/&/\\&/g')
    [[ -z $section || -z $option ]] && return
    if ! grep -q "^\[$section\]" "$file" 2>/dev/null; then
        echo -e "\n[$section]" >> "$file"
    fi
    if ! ini_has_option "$file" "$section" "$option"; then
        sed -i -e "/^\[$section\]/ a\\
$option = $value
" "$file"
    else
        local sep
        sep=$(echo -ne "\x01")
        sed -i -e '/^\['${section}'\]/,/^\[.*\]/ s'${sep}'^\('"${option}"'[ \t]*=[ \t]*\).*$'${sep}'\1'"${value}"${sep} "$file"
    fi
}

# lib/database and lib/databases/mysql
function database_connection_url {
    local db=$1 plugin=""
    if [[ "$MYSQL_GATHER_PERFORMANCE" == "True" ]] && \
            is_service_enabled mysql; then
        plugin="&plugin=dbcounter"
    fi
    echo "$BASE_SQL_CONN/$db?charset=utf8$plugin"
}

function recreate_database {
    local db=$1
    _standin_record recreate_database "$db"
    # Difference: -p only with a password (the test server has none).
    mysql -u"$DATABASE_USER" ${DATABASE_PASSWORD:+-p"$DATABASE_PASSWORD"} \
        -h"$MYSQL_HOST" -e "DROP DATABASE IF EXISTS $db;"
    mysql -u"$DATABASE_USER" ${DATABASE_PASSWORD:+-p"$DATABASE_PASSWORD"} \
        -h"$MYSQL_HOST" -e "CREATE DATABASE $db CHARACTER SET utf8;"
}

# lib/rpc_backend
function get_transport_url {
    echo "rabbit://$RABBIT_USERID:$RABBIT_PASSWORD@$RABBIT_HOST:5672/$1"
}

function iniset_rpc_backend {
    local file=$2 section=${3:-DEFAULT} virtual_host=$4
    if is_service_enabled rabbit || \
            { [ -n "$RABBIT_HOST" ] && [ -n "$RABBIT_PASSWORD" ]; }; then
        iniset "$file" "$section" transport_url \
            "$(get_transport_url "$virtual_host")"
    fi
}

# functions-common and lib/keystone: Keystone is not here; recorded.
function get_or_create_user {
    _standin_record get_or_create_user "$1" "$2" "$3"
    echo "user-id-of-$1"
}

function get_or_add_user_project_role {
    _standin_record get_or_add_user_project_role "$@"
    echo "$1"
}

function create_service_user {
    get_or_create_user "$1" "$SERVICE_PASSWORD" "$SERVICE_DOMAIN_NAME" \
        > /dev/null
    get_or_add_user_project_role service "$1" "$SERVICE_PROJECT_NAME" \
        "$SERVICE_DOMAIN_NAME" "$SERVICE_DOMAIN_NAME" > /dev/null
    if [[ -n "$2" ]]; then
        get_or_add_user_project_role "$2" "$1" "$SERVICE_PROJECT_NAME" \
            "$SERVICE_DOMAIN_NAME" "$SERVICE_DOMAIN_NAME" > /dev/null
    fi
}

# functions-common: installs and systemd units are recorded. run_process
# does nothing for a disabled service, as devstack's does.
function setup_develop {
    _standin_record setup_develop "$@"
}

function pip_install {
    _standin_record pip_install "$@"
}

function run_process {
    local service=$1 command=$2 group=$3 user=$4
    if is_service_enabled "$service"; then
        _standin_record run_process "$service|$command|$group|$user"
    fi
}

function stop_process {
    if is_service_enabled "$1"; then
        _standin_record stop_process "$1"
    fi
}

# Difference: the tests run as the user who owns every file.
function sudo {
    _standin_record sudo "$@"
    "$@"
}
